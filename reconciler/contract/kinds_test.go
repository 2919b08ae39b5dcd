package contract

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// repoRoot is the module's root, from this package's folder.
const repoRoot = "../.."

// declaredKinds maps the TriggerKind constants of this package to their values.
func declaredKinds(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "contract.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok {
			if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "TriggerKind" {
				for i, v := range vs.Values {
					if s, ok := stringLit(v); ok {
						out[vs.Names[i].Name] = s
					}
				}
			}
		}
		return true
	})
	return out
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// usedKinds are the trigger kinds fgd's code produces, each with where: every
// Kind of a Trigger literal (a string or a constant of consts), and the dir
// source's reasons, which the daemon passes on as kinds.
func usedKinds(t *testing.T, consts map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != repoRoot && (d.Name() == "testdata" || d.Name() == "vendor" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if !isTrigger(n.Type) {
					return true
				}
				for _, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok && isIdent(kv.Key, "Kind") {
						if s, ok := kindOf(kv.Value, consts); ok {
							out[s] = fset.Position(kv.Pos()).String()
						}
					}
				}
			case *ast.ValueSpec:
				if filepath.ToSlash(filepath.Dir(path)) == repoRoot+"/sources/dir" && strings.HasPrefix(n.Names[0].Name, "Reason") {
					for _, v := range n.Values {
						if s, ok := stringLit(v); ok {
							out[s] = fset.Position(v.Pos()).String()
						}
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// kindOf is the value of a Kind: a string, or one of consts by name.
func kindOf(e ast.Expr, consts map[string]string) (string, bool) {
	if sel, ok := e.(*ast.SelectorExpr); ok {
		e = sel.Sel
	}
	if id, ok := e.(*ast.Ident); ok {
		v, ok := consts[id.Name]
		return v, ok
	}
	return stringLit(e)
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// isTrigger reports whether a literal's type is Trigger, in this package or
// through the reconciler's alias.
func isTrigger(e ast.Expr) bool {
	if sel, ok := e.(*ast.SelectorExpr); ok {
		return sel.Sel.Name == "Trigger"
	}
	return isIdent(e, "Trigger")
}

// TestEveryTriggerKindIsDeclared keeps the list of kinds true: each kind
// the code produces is one of the TriggerKind constants, and each constant
// is produced somewhere.
func TestEveryTriggerKindIsDeclared(t *testing.T) {
	declared := declaredKinds(t)
	used := usedKinds(t, declared)
	if len(declared) == 0 || len(used) == 0 {
		t.Fatalf("found %d declared and %d used kinds", len(declared), len(used))
	}
	values := map[string]bool{}
	for name, v := range declared {
		values[v] = true
		if _, ok := used[v]; !ok {
			t.Errorf("%s (%q) is declared but nothing produces it: remove it from contract.go", name, v)
		}
	}
	for k, at := range used {
		if !values[k] {
			t.Errorf("%s: trigger kind %q is not a TriggerKind constant: declare it in contract.go", at, k)
		}
	}
}
