package main

import (
	"fmt"
	"io"
	"strings"
)

// barWidth is how many cells the ingest progress bar has.
const barWidth = 30

// progressBar renders the ingest progress line: "[#####.....] 120/200 files".
// done is clamped to [0, total]; a total of 0 shows an empty bar.
func progressBar(done, total, width int) string {
	done = max(0, min(done, total))
	filled := 0
	if total > 0 {
		filled = done * width / total
	}
	return fmt.Sprintf("[%s%s] %d/%d files", strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, total)
}

// fileBar draws the progress of `fgd ingest` on a terminal: one line
// rewritten in place with a carriage return (no escape sequences, no
// colour), redrawn only when a cell fills or the run ends. A nil fileBar
// draws nothing, as off a terminal or with --output json.
type fileBar struct {
	w      io.Writer
	filled int // cells drawn last time; -1 before the first draw
}

// newFileBar returns a bar on w, or nil when on is false.
func newFileBar(w io.Writer, on bool) *fileBar {
	if !on {
		return nil
	}
	return &fileBar{w: w, filled: -1}
}

// onFile is ingest.Options.OnFile.
func (b *fileBar) onFile(done, total int) {
	filled := 0
	if total > 0 {
		filled = done * barWidth / total
	}
	if filled == b.filled && done != total {
		return
	}
	b.filled = filled
	fmt.Fprint(b.w, "\r"+progressBar(done, total, barWidth))
}

// finish ends the bar's line, so what follows starts on its own.
func (b *fileBar) finish() {
	if b != nil && b.filled >= 0 {
		fmt.Fprintln(b.w)
		b.filled = -1
	}
}
