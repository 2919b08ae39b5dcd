package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	kubesink "github.com/fgdproject/fgd/sinks/kubernetes"
)

// importOpts are the flags of fgd import.
type importOpts struct {
	kubeconfig *string
	context    *string
}

// flags defines the flag set of fgd import, which the command and shell completion both use.
func (o *importOpts) flags() *flag.FlagSet {
	fs := newFlagSet("import")
	o.kubeconfig = fs.String("kubeconfig", "", "the cluster's kubeconfig `FILE` (required)")
	o.context = fs.String("context", "", "the kubeconfig's `CONTEXT` (default: its current context)")
	return fs
}

var importHelp = help{
	usage: "fgd import --kubeconfig FILE [--context CONTEXT] DIR",
	about: `Writes every Hedgehog object of the cluster (the 12 kinds fgd manages, all
namespaces) into DIR/raw/, one file per object named <kind>-<namespace>-<name>.yaml,
without the fields the API server fills in (status, uid, resourceVersion,
managedFields, ...), kubectl's last-applied annotation and fgd's ownership
label. Ingesting DIR then gives the same managed/ files as ingesting the same
objects written by hand. A file that already exists is never overwritten: the
import stops before writing anything.`,
	examples: []string{
		"fgd import --kubeconfig /etc/fgd/dc1.kubeconfig /srv/fgd/dc1",
		"fgd ingest /srv/fgd/dc1",
	},
	exits: "0  imported\n1  error (the cluster, the kubeconfig, a file in the way)\n2  usage error",
}

func cmdImport(args []string, stdout, stderr io.Writer) int {
	var o importOpts
	fs := o.flags()
	pos, code, ok := parse(fs, importHelp, args, stdout, stderr)
	if !ok {
		return code
	}
	switch {
	case len(pos) != 1:
		return usageError(stderr, "import", importHelp, "give one FGD folder")
	case *o.kubeconfig == "":
		return usageError(stderr, "import", importHelp, "--kubeconfig is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	objs, err := kubesink.Import(ctx, *o.kubeconfig, *o.context)
	if err != nil {
		fmt.Fprintf(stderr, "fgd import: %v\n", err)
		return 1
	}
	raw := filepath.Join(pos[0], "raw")
	if err := writeImported(raw, objs); err != nil {
		fmt.Fprintf(stderr, "fgd import: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "imported %d objects into %s\n", len(objs), raw)
	return 0
}

// writeImported writes the objects into raw/ after checking that none of their files exists, so
// an import never replaces a file and never stops half-way for that reason.
func writeImported(raw string, objs []kubesink.Imported) error {
	if fi, err := os.Stat(filepath.Dir(raw)); err != nil || !fi.IsDir() {
		return fmt.Errorf("%s is not a folder: give the FGD's folder", filepath.Dir(raw))
	}
	if err := os.MkdirAll(raw, 0o755); err != nil {
		return err
	}
	for _, o := range objs {
		p := filepath.Join(raw, o.File)
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s exists: move it away or import into another FGD (nothing was written)", p)
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	for _, o := range objs {
		f, err := os.OpenFile(filepath.Join(raw, o.File), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		_, err = f.Write(o.Body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", f.Name(), err)
		}
	}
	return nil
}
