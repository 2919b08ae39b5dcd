package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/internal/config"
)

// writeFile creates dir/name (and its parents) with content and mode; the
// mode is set with Chmod so the umask cannot change it.
func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// fieldErrors returns the problems in err, failing the test when err is not
// a *config.ValidationError.
func fieldErrors(t *testing.T, err error) []config.FieldError {
	t.Helper()
	var verr *config.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("want a *config.ValidationError, got %T: %v", err, err)
	}
	return verr.Errors
}

// yamlText drops the newline after the opening backquote of a test's YAML,
// so that line 1 is the first line written.
func yamlText(s string) string { return strings.TrimPrefix(s, "\n") }
