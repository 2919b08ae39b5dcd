// Command kubeapiserver runs a real Kubernetes API server for fgd's tests: the upstream
// apiextensions-apiserver (CustomResourceDefinitions and custom resources with schema validation,
// server-side apply, managedFields, watch) on an etcd embedded in the same process, both on loopback.
//
// It is a separate Go module so that fgd's own go.mod does not carry the API server. The test helper
// package internal/kubetest builds it once and starts one per test package.
//
// Usage:
//
//	kubeapiserver -dir DIR [-crds DIR]...
//
// DIR holds etcd's data, the serving certificate and the kubeconfig written for clients. Each -crds
// directory's *.yaml CustomResourceDefinitions are created and waited for until they are Established and
// listable. When the server is ready, one line "ready {json}" is printed on stdout with the kubeconfig
// path, the server URL and the URL of the request log. The process exits when stdin reaches EOF, so
// it never outlives the test process that started it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
)

type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// readyLine is what the parent process reads to find the server.
type readyLine struct {
	Kubeconfig string `json:"kubeconfig"`
	Server     string `json:"server"`
	Requests   string `json:"requests"`
}

func main() {
	dir := flag.String("dir", "", "directory for etcd data, certificates and the kubeconfig (required)")
	var crdDirs multiFlag
	flag.Var(&crdDirs, "crds", "directory of CustomResourceDefinition YAML files to install (repeatable)")
	flag.Parse()
	if *dir == "" {
		log.Fatal("kubeapiserver: -dir is required")
	}
	if err := run(*dir, crdDirs); err != nil {
		log.Fatalf("kubeapiserver: %v", err)
	}
}

func run(dir string, crdDirs []string) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	etcdURL, stopEtcd, err := startEtcd(filepath.Join(dir, "etcd"))
	if err != nil {
		return fmt.Errorf("etcd: %w", err)
	}
	defer stopEtcd()
	reqs := &requestLog{}
	srv, err := startAPIServer(ctx, dir, etcdURL, reqs)
	if err != nil {
		return fmt.Errorf("apiserver: %w", err)
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := writeKubeconfig(srv.config, kubeconfig); err != nil {
		return err
	}
	if err := installCRDs(ctx, srv.config, crdDirs); err != nil {
		return err
	}
	reqURL, err := reqs.serve()
	if err != nil {
		return err
	}
	line, _ := json.Marshal(readyLine{Kubeconfig: kubeconfig, Server: srv.config.Host, Requests: reqURL})
	fmt.Printf("ready %s\n", line)
	// Stdin reaching EOF means the parent is gone: stop.
	_, _ = io.Copy(io.Discard, os.Stdin)
	cancel()
	srv.wait()
	return nil
}
