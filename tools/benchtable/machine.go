package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Machine describes the host in one line: cores, CPU model, total memory,
// Go version and kernel. proc is the proc file system's mount point
// ("/proc"); cores and goVersion come from the caller (runtime.NumCPU and
// runtime.Version: the Go that built this program is the one `make bench`
// ran). What cannot be read is said to be unknown.
func Machine(proc string, cores int, goVersion string) string {
	model := "unknown CPU"
	if data, err := os.ReadFile(filepath.Join(proc, "cpuinfo")); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := "unknown"
	if data, err := os.ReadFile(filepath.Join(proc, "meminfo")); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			f := strings.Fields(l)
			if len(f) >= 2 && f[0] == "MemTotal:" {
				if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
					mem = fmt.Sprintf("%.1f GiB", kb/(1<<20))
				}
				break
			}
		}
	}
	kernel := "unknown kernel"
	if data, err := os.ReadFile(filepath.Join(proc, "sys", "kernel", "osrelease")); err == nil {
		kernel = "Linux " + strings.TrimSpace(string(data))
	}
	return fmt.Sprintf("Machine: %d cores, %s, %s RAM, %s, %s", cores, model, mem, goVersion, kernel)
}
