package config

import (
	"errors"
	"fmt"
	"github.com/fgdproject/fgd/internal/logging"
	"io"
	"io/fs"
	"os"
	"strings"
)

// maxSecretSize bounds a secret file: tokens, passwords and SSH keys are
// small, and a huge file is the wrong file.
const maxSecretSize = 64 << 10

// ReadSecret reads the secret in the file at path, on every call, so a
// rotated secret is picked up without a restart. One trailing newline ("\n"
// or "\r\n") is removed. The file must be a regular file that is not
// readable by every user, and not empty. Errors name the file, never its
// content.
func ReadSecret(path string) (string, error) {
	if msg := checkSecretFile(path); msg != "" {
		return "", errors.New(msg)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("read secret file: %w", err)
	}
	defer f.Close()
	// Checked again on the open file: the path may have been swapped since.
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("read secret file: %w", err)
	}
	if msg := secretModeProblem(path, fi); msg != "" {
		return "", errors.New(msg)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxSecretSize+1))
	if err != nil {
		return "", fmt.Errorf("read secret file %s: %w", path, err)
	}
	if len(data) > maxSecretSize {
		return "", fmt.Errorf("secret file %s is larger than %d KiB: is it the right file?", path, maxSecretSize>>10)
	}
	s := string(data)
	if t, ok := strings.CutSuffix(s, "\n"); ok {
		s = strings.TrimSuffix(t, "\r")
	}
	if s == "" {
		return "", fmt.Errorf("secret file %s is empty: write the secret into it", path)
	}
	return s, nil
}

// checkSecretFile returns what is wrong with a secret file, or "".
func checkSecretFile(path string) string {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("secret file %s does not exist: create it with the secret (chmod 600 %s) or fix the path", path, path)
	case err != nil:
		return fmt.Sprintf("secret file %s cannot be checked: %v", path, unwrapPathError(err))
	}
	return secretModeProblem(path, fi)
}

func secretModeProblem(path string, fi fs.FileInfo) string {
	if !fi.Mode().IsRegular() {
		return fmt.Sprintf("secret file %s is not a regular file (%s)", path, fileType(fi))
	}
	if fi.Mode().Perm()&0o004 != 0 {
		return fmt.Sprintf("secret file %s is readable by every user (mode %04o): chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	return ""
}

// checkPlainFile returns what is wrong with a file that must exist but is no
// secret (a known_hosts file), or "".
func checkPlainFile(path string) string {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("file %s does not exist", path)
	case err != nil:
		return fmt.Sprintf("file %s cannot be checked: %v", path, unwrapPathError(err))
	case !fi.Mode().IsRegular():
		return fmt.Sprintf("%s is not a regular file (%s)", path, fileType(fi))
	}
	return ""
}

func fileType(fi fs.FileInfo) string {
	switch m := fi.Mode(); {
	case m.IsDir():
		return "it is a directory"
	case m&fs.ModeNamedPipe != 0:
		return "it is a named pipe"
	case m&fs.ModeSocket != 0:
		return "it is a socket"
	case m&fs.ModeDevice != 0:
		return "it is a device"
	}
	return "it is a special file"
}

// unwrapPathError drops the "stat PATH:" prefix of a *fs.PathError, since
// the messages that use it name the path already.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// looksSecret reports whether a key name looks like it holds a secret value
// rather than the path of a file with one.
func looksSecret(key string) bool {
	k := strings.ToLower(key)
	if strings.HasSuffix(k, "_file") || strings.HasSuffix(k, "_files") {
		return false
	}
	return logging.NamesSecret(k)
}

// secretFileHint tells which file-reference key of a section to use instead
// of an inline secret key.
func secretFileHint(key string, known []string) string {
	var files []string
	for _, k := range known {
		if k == key+"_file" {
			return fmt.Sprintf("put it in a file (chmod 600) and use %s", k)
		}
		if strings.HasSuffix(k, "_file") && looksSecret(strings.TrimSuffix(k, "_file")) || k == "ssh_key_file" {
			files = append(files, k)
		}
	}
	if len(files) > 0 {
		return fmt.Sprintf("put it in a file (chmod 600) and use %s", strings.Join(files, " or "))
	}
	return "this section takes no secret"
}
