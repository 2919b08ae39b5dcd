// Package suggest finds the known word closest to a mistyped one, for the
// "did you mean" of the CLI and of validation messages.
package suggest

import (
	"strings"
	"unicode"
)

// Nearest returns the candidate closest to word, or "" when none is close
// enough to be a plausible typo. Case, "_" and "-" are ignored, so that
// "tokenFile" finds "token_file"; an exact match (after that folding) is
// returned too, since it is what the user meant.
func Nearest(word string, candidates []string) string {
	w := Fold(word)
	if w == "" {
		return ""
	}
	best, bestDist := "", -1
	for _, c := range candidates {
		d := Distance(w, Fold(c))
		if bestDist < 0 || d < bestDist || (d == bestDist && c < best) {
			best, bestDist = c, d
		}
	}
	if bestDist >= 0 && bestDist <= max(2, len(w)/3) && bestDist < len(w) {
		return best
	}
	return ""
}

// Fold is a word as Nearest compares it: lower case, without "_" and "-".
func Fold(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

// Distance is the edit distance between a and b, counting a swap of two
// neighbouring letters ("stauts") as one edit. It is capped at 64: words
// longer than that are no typo of a short name.
func Distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	// Three rows: the one before last is needed for transpositions.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
