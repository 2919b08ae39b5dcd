package fgd

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fgdproject/fgd/internal/fsname"
)

// Sum is the SHA-256 of a stored thing's content (see DiskLookup for what
// "content" is for symlinks and folders).
type Sum = [sha256.Size]byte

// Lookup reports what path currently holds: the sum of its content and
// whether anything is there. Ingestion plugs in a view that also sees the
// writes it has planned but not yet made.
type Lookup func(path string) (sum Sum, exists bool, err error)

// LinkSum is the content sum fgd gives a symlink: the link's target, never
// what it points to.
func LinkSum(target string) Sum { return sha256.Sum256([]byte("symlink\x00" + target)) }

// DiskLookup is the Lookup of the file system: a regular file's sum is the
// SHA-256 of its bytes, a symlink's is LinkSum of its target, and anything
// else (a folder, a FIFO) gets a sum no content can have.
func DiskLookup(path string) (Sum, bool, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return Sum{}, false, nil
	}
	if err != nil {
		return Sum{}, false, fmt.Errorf("examine %s: %w", path, err)
	}
	switch {
	case fi.Mode().IsRegular():
		f, err := OpenRegular(path)
		if err != nil {
			return Sum{}, true, err
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return Sum{}, true, fmt.Errorf("read %s: %w", path, err)
		}
		var s Sum
		copy(s[:], h.Sum(nil))
		return s, true, nil
	case fi.Mode()&os.ModeSymlink != 0:
		t, err := os.Readlink(path)
		if err != nil {
			return Sum{}, true, fmt.Errorf("read link %s: %w", path, err)
		}
		return LinkSum(t), true, nil
	default:
		return sha256.Sum256([]byte("special\x00" + path)), true, nil
	}
}

// StoreName chooses the name under which content is stored in dir (SPEC §2,
// "Names in unmanaged/ and .hnp/archive/"): name itself when free; when name
// holds other content, name with the first 8 hex digits of the content's
// SHA-256 before the extension (vpcs.3f9a2c1e.yaml). exists is true when the
// chosen name already holds identical content: store it once.
func StoreName(dir, name string, content []byte) (finalName string, exists bool, err error) {
	return ChooseName(dir, name, sha256.Sum256(content), "", DiskLookup)
}

// ChooseName is StoreName for content known by its sum, seen through look.
// When companion is not empty (the sidecar suffix in unmanaged/), a name is
// only taken fresh when name+companion is free too, so a stored file never
// lands beside a foreign file that would pass for its sidecar.
//
// Every candidate is fitted (fsname.Fit) so that it and its companion stay
// within the file-system's limit on a name. A candidate fgd cannot examine
// (an unreadable file) counts as taken by other content: it is never
// overwritten, and one bad file in dir does not stop storing others.
func ChooseName(dir, name string, sum Sum, companion string, look Lookup) (string, bool, error) {
	hexsum := hex.EncodeToString(sum[:])
	var lookErr error
	for _, cand := range candidates(name, hexsum) {
		cand = fsname.Fit(cand, fsname.Max-len(companion))
		got, exists, err := look(filepath.Join(dir, cand))
		if err != nil {
			lookErr = err
			continue
		}
		if exists {
			if got == sum {
				return cand, true, nil
			}
			continue
		}
		if companion != "" {
			_, taken, err := look(filepath.Join(dir, cand+companion))
			if err != nil {
				return "", false, err
			}
			if taken {
				continue
			}
		}
		return cand, false, nil
	}
	if lookErr != nil {
		return "", false, fmt.Errorf("store %s in %s: no candidate name is free (last: %w); make the files in %s readable by fgd or move them out", name, dir, lookErr, dir)
	}
	return "", false, fmt.Errorf("store %s in %s: every candidate name is taken by other content; move some files out of %s", name, dir, dir)
}

// candidates lists the names tried in order: the name, then with 8, 16 and
// all 64 hex digits of the content hash before the extension.
func candidates(name, hexsum string) []string {
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	if stem == "" { // a name like ".yaml": the whole name is the stem
		stem, ext = name, ""
	}
	return []string{
		name,
		stem + "." + hexsum[:8] + ext,
		stem + "." + hexsum[:16] + ext,
		stem + "." + hexsum + ext,
	}
}
