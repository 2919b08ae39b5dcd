package giturl

// Case is one remote of the shared table, as Parse reads it.
type Case struct {
	Raw  string
	Want URL
	Key  string
}

// Cases returns the table of awkward remotes TestParse checks.
func Cases() []Case {
	out := make([]Case, len(cases))
	for i, c := range cases {
		out[i] = Case{Raw: c.raw, Want: c.want, Key: c.key}
	}
	return out
}

// Bad returns the remotes Parse refuses.
func Bad() []string {
	out := make([]string, len(bad))
	for i, c := range bad {
		out[i] = c.raw
	}
	return out
}
