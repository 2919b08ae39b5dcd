package c

import "testing"

func TestBuild(t *testing.T) { undefined() }
