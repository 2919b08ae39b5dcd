package b

import "testing"

func TestPanics(t *testing.T) { t.Log("about to"); panic("boom") }
