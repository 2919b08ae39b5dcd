// Package kubetest runs a real Kubernetes API server for tests: the upstream apiextensions-apiserver
// on an embedded etcd, built from the separate Go module in internal/testutil/kubeapiserver (so fgd's
// go.mod does not carry the API server), with the Hedgehog CRDs fgd embeds installed.
//
// The server binary is built once into the user cache directory, keyed by a hash of the helper
// module's sources; a cold build takes about ten minutes on two cores, later ones reuse it.
package kubetest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"

	"golang.org/x/sys/unix"
)

// ModuleDir returns the directory of the API server's Go module.
func ModuleDir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("kubetest: cannot find its own source directory")
	}
	dir := filepath.Join(filepath.Dir(file), "..", "kubeapiserver")
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return "", fmt.Errorf("kubetest: the API server module is missing: %w", err)
	}
	return dir, nil
}

// Build builds the API server binary unless the cached one matches the module's sources, and
// returns its path. Concurrent test binaries wait for one build through a lock file.
func Build() (string, error) {
	dir, err := ModuleDir()
	if err != nil {
		return "", err
	}
	key, err := sourceHash(dir)
	if err != nil {
		return "", err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("kubetest: %w", err)
	}
	out := filepath.Join(cache, "fgd-kubeapiserver", key[:16])
	bin := filepath.Join(out, "kubeapiserver")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(out, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return "", err
	}
	defer unix.Flock(int(lock.Fd()), unix.LOCK_UN) //nolint:errcheck // closing releases it too
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() {
		return bin, nil
	}
	tmp := bin + ".tmp"
	cmd := exec.Command("go", "build", "-o", tmp, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("kubetest: build the API server in %s: %v\n%s", dir, err, b)
	}
	return bin, os.Rename(tmp, bin)
}

// sourceHash hashes the module's go.mod, go.sum and Go sources and the Go version.
func sourceHash(dir string) (string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return "", err
	}
	files = append(files, filepath.Join(dir, "go.mod"), filepath.Join(dir, "go.sum"))
	sort.Strings(files)
	h := sha256.New()
	fmt.Fprintln(h, runtime.Version())
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintln(h, filepath.Base(f))
		_, err = io.Copy(h, fh)
		fh.Close()
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
