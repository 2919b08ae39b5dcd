// Package testdocs holds the fabric documents tests and benchmarks drop
// into FGDs, so that every package ingests the same valid resource.
package testdocs

import "fmt"

// VPCFormat is a valid VPC document with one subnet; %s is its name.
const VPCFormat = `apiVersion: vpc.githedgehog.com/v1beta1
kind: VPC
metadata:
  name: %s
spec:
  subnets:
    default:
      subnet: 10.0.1.0/24
      vlan: 1001
`

// VPC is the VPC document named name.
func VPC(name string) string { return fmt.Sprintf(VPCFormat, name) }
