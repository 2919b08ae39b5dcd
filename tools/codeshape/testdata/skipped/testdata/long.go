package funcs

// atLimit is 5 lines: not reported.
func atLimit() int {
	x := 1
	x++
	return x
}

// over is 6 lines.
func over() int {
	x := 1
	x++
	x++
	return x
}
