package config

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// ReadOperatorFile reads a file the configuration names that is not a
// one-line secret (a kubeconfig, a keyring, an allowed-signers file), on
// every call so that a replaced file is picked up without a restart. It
// must be a regular file (a symbolic link to one is followed: mounted
// secrets are links; these files are the operator's, never in an FGD), not
// empty, and at most limit bytes. Errors name the file by what and path,
// never its content.
func ReadOperatorFile(path, what string, limit int64) ([]byte, error) {
	// O_NONBLOCK: a FIFO put at the path must not hang the open; it is
	// refused below as not a regular file.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", what, path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s %s is not a regular file (%s)", what, path, fileType(fi))
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", what, path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s %s is larger than %d KiB: is it the right file?", what, path, limit>>10)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("%s %s is empty", what, path)
	}
	return data, nil
}
