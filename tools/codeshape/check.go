package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// limits are the longest function and file allowed, in lines.
type limits struct {
	funcLines, fileLines int
}

// finding is one function or file over its limit.
type finding struct {
	file  string // slash-separated, relative to the root
	line  int    // where the function starts; 1 for a file
	what  string // "func Name", "func (*T).Name" or "file"
	lines int
	limit int
}

// check walks the Go files below root and returns what is over lim, by file
// and line.
func check(root string, lim limits) ([]finding, error) {
	var found []finding
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && skipDir(p, d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		f, err := checkFile(p, filepath.ToSlash(rel), lim)
		found = append(found, f...)
		return err
	})
	sort.Slice(found, func(i, j int) bool {
		if found[i].file != found[j].file {
			return found[i].file < found[j].file
		}
		return found[i].line < found[j].line
	})
	return found, err
}

// skipDir reports whether the folder at p is not the module's own code:
// testdata, hidden and underscore folders (the go tool ignores them too)
// and nested modules.
func skipDir(p, name string) bool {
	if name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
		return true
	}
	_, err := os.Lstat(filepath.Join(p, "go.mod"))
	return err == nil
}

// checkFile returns the functions of the file at p over lim.funcLines, and
// the file itself when it is over lim.fileLines; rel names it.
func checkFile(p, rel string, lim limits) ([]finding, error) {
	src, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, p, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (codeshape reads only Go that compiles)", rel, err)
	}
	var found []finding
	if n := lineCount(src); n > lim.fileLines {
		found = append(found, finding{file: rel, line: 1, what: "file", lines: n, limit: lim.fileLines})
	}
	for _, decl := range file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok {
			continue
		}
		// From the func keyword to the closing brace; the doc comment
		// does not count.
		start, end := fset.Position(fn.Pos()).Line, fset.Position(fn.End()).Line
		if n := end - start + 1; n > lim.funcLines {
			found = append(found, finding{file: rel, line: start, what: "func " + funcName(fn), lines: n, limit: lim.funcLines})
		}
	}
	return found, nil
}

// lineCount counts the lines of src as wc -l does, plus a last line
// without its newline.
func lineCount(src []byte) int {
	n := bytes.Count(src, []byte("\n"))
	if len(src) > 0 && src[len(src)-1] != '\n' {
		n++
	}
	return n
}

// funcName names a function as Go's stack traces do: Name, T.Name or
// (*T).Name.
func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	t := fn.Recv.List[0].Type
	star := false
	if s, ok := t.(*ast.StarExpr); ok {
		star, t = true, s.X
	}
	// Strip type parameters: T[K, V] is named T.
	switch g := t.(type) {
	case *ast.IndexExpr:
		t = g.X
	case *ast.IndexListExpr:
		t = g.X
	}
	name := "?"
	if id, ok := t.(*ast.Ident); ok {
		name = id.Name
	}
	if star {
		return "(*" + name + ")." + fn.Name.Name
	}
	return name + "." + fn.Name.Name
}
