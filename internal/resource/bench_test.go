package resource

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// BenchmarkDecode parses and decodes a multi-document corpus file (23 documents, most of them rejected
// with several issues each) and reports documents per second.
func BenchmarkDecode(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(corpusDir, "fabric__config__samples__wiring__spineleaf.gen.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	reg := newTestRegistry(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	docs := 0
	for b.Loop() {
		parsed, err := ParseFile(data, DefaultLimits())
		if err != nil {
			b.Fatal(err)
		}
		for _, d := range parsed {
			if !d.Empty {
				reg.Decode(d)
				docs++
			}
		}
	}
	b.ReportMetric(float64(docs)/b.Elapsed().Seconds(), "docs/s")
}

// tenThousand builds 100 files of 100 valid resources each (the managed corpus documents, renamed).
func tenThousand(tb testing.TB) [][]byte {
	tb.Helper()
	var valid [][]byte
	reg := newTestRegistry(tb)
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.yaml"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		docs, err := ParseFile(data, DefaultLimits())
		if err != nil {
			tb.Fatal(err)
		}
		for _, d := range docs {
			if r, _ := reg.Decode(d); r != nil {
				valid = append(valid, d.Raw)
			}
		}
	}
	if len(valid) == 0 {
		tb.Fatal("no valid corpus documents")
	}
	out := make([][]byte, 0, 100)
	n := 0
	for f := 0; f < 100; f++ {
		var buf bytes.Buffer
		for i := 0; i < 100; i++ {
			raw := valid[n%len(valid)]
			// A distinct name per copy; every corpus document has "name:" in its metadata.
			raw = bytes.Replace(raw, []byte("  name: "), fmt.Appendf(nil, "  name: c%d-", n), 1)
			buf.WriteString("---\n")
			buf.Write(raw)
			if !bytes.HasSuffix(raw, []byte("\n")) {
				buf.WriteByte('\n')
			}
			n++
		}
		out = append(out, buf.Bytes())
	}
	return out
}

// yamlBaseline decodes every document of files with plain yaml.v3 into Go values.
func yamlBaseline(tb testing.TB, files [][]byte) int {
	docs := 0
	for _, f := range files {
		dec := yaml.NewDecoder(bytes.NewReader(f))
		for {
			var v any
			err := dec.Decode(&v)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				tb.Fatal(err)
			}
			docs++
		}
	}
	return docs
}

// pipeline runs ParseFile, Decode and Normalize over files, as the ingest pipeline does.
func pipeline(tb testing.TB, reg *Registry, files [][]byte) int {
	n := 0
	for i, f := range files {
		docs, err := ParseFile(f, DefaultLimits())
		if err != nil {
			tb.Fatal(err)
		}
		for _, d := range docs {
			if d.Empty {
				continue
			}
			r, issues := reg.Decode(d)
			if r == nil {
				tb.Fatalf("file %d document %d: %v", i, d.Index, issues)
			}
			if _, err := Normalize(r, Provenance{Fabric: "bench", OriginalFile: "raw/bench.yaml", DocumentIndex: d.Index}); err != nil {
				tb.Fatal(err)
			}
			n++
		}
	}
	return n
}

// BenchmarkPipeline10k ingests 10,000 resources (parse, validate, normalize) and reports resources per
// second and the time relative to a plain yaml.v3 decode of the same bytes (target: at most 3).
func BenchmarkPipeline10k(b *testing.B) {
	files := tenThousand(b)
	reg := newTestRegistry(b)
	start := time.Now()
	if yamlBaseline(b, files) != 10_000 {
		b.Fatal("baseline did not see 10,000 documents")
	}
	base := time.Since(start)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		n += pipeline(b, reg, files)
	}
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "resources/s")
	b.ReportMetric(float64(per)/float64(base), "x-yaml-decode")
}

// BenchmarkYAMLDecode10k is the baseline of BenchmarkPipeline10k: yaml.v3 alone on the same bytes.
func BenchmarkYAMLDecode10k(b *testing.B) {
	files := tenThousand(b)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		n += yamlBaseline(b, files)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "docs/s")
}
