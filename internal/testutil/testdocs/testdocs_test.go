package testdocs

import (
	"testing"

	"github.com/fgdproject/fgd/internal/resource"
)

// The document every test relies on is valid, and names what it is asked to.
func TestVPCIsValid(t *testing.T) {
	reg, err := resource.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	docs, err := resource.ParseFile([]byte(VPC("vpc-7")), resource.DefaultLimits())
	if err != nil || len(docs) != 1 {
		t.Fatalf("VPC(vpc-7): %d documents, %v", len(docs), err)
	}
	r, issues := reg.Decode(docs[0])
	if len(issues) > 0 || r == nil {
		t.Fatalf("VPC(vpc-7) is not valid: %+v", issues)
	}
	if r.ID.Kind != "VPC" || r.ID.Name != "vpc-7" {
		t.Fatalf("VPC(vpc-7) decoded as %+v", r.ID)
	}
}
