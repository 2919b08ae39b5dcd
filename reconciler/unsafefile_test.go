package reconciler

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/resilience"
)

// A file fgd refused to read stalls the fabric with a remediation naming
// it; any other failure keeps its class.
func TestUnsafeFileStallsTheFabric(t *testing.T) {
	refused := fmt.Errorf("ingest /srv/lab: %w", &fgd.UnsafeFileError{Path: "/srv/lab/.hnp/archive-log.yaml", Reason: fgd.ErrNotRegular})
	err := unsafeFile(refused)
	var re *resilience.Error
	if !errors.As(err, &re) || re.Class != resilience.ClassStalled || !strings.Contains(re.Remediation, "/srv/lab/.hnp/archive-log.yaml") {
		t.Fatalf("unsafeFile(%v) = %#v, want stalled naming the file", refused, err)
	}
	if !errors.Is(err, fgd.ErrNotRegular) {
		t.Error("the reason is lost")
	}
	plain := errors.New("boom")
	if got := unsafeFile(plain); got != plain {
		t.Errorf("unsafeFile(plain) = %v", got)
	}
	waiting := resilience.Waiting(refused, 0)
	if got := unsafeFile(waiting); got != waiting {
		t.Errorf("a classified error was reclassified: %v", got)
	}
}
