package funcs

type T struct{}

type G[K comparable] struct{}

func (*T) Ptr() {
	f := func() {
		_ = 1
	}
	f()
	f()
}

func (T) Val() {
	_ = 1
	_ = 2
	_ = 3
	_ = 4
}

func (g *G[K]) Gen() {
	_ = 1
	_ = 2
	_ = 3
	_ = 4
}
