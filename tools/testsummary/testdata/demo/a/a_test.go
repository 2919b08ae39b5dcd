package a

import "testing"

func TestPass(t *testing.T) { t.Log("fine") }
func TestFail(t *testing.T) { t.Log("before"); t.Errorf("got 1, want 2") }
func TestSkip(t *testing.T) { t.Skip("no chromium here") }
func TestSub(t *testing.T) {
	t.Run("ok", func(t *testing.T) {})
	t.Run("skipped", func(t *testing.T) { t.Skipf("needs %s", "root") })
}
