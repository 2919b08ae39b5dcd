// Command build builds the tests' Kubernetes API server (see package kubetest) into the user
// cache directory, so that the tests that start it do not spend their timeout on a cold build.
// It prints the binary's path.
package main

import (
	"fmt"
	"os"

	"github.com/fgdproject/fgd/internal/testutil/kubetest"
)

func main() {
	bin, err := kubetest.Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(bin)
}
