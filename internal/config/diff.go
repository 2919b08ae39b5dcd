package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"slices"
)

// FabricHash returns a digest of every configuration field of a fabric, with
// paths as resolved. Equal digests mean the fabric's configuration did not
// change. The contents of its secret files are not part of it: secrets are
// read on use (ReadSecret), so rotating one needs no reload.
func FabricHash(f Fabric) string {
	// json.Marshal of these plain structs cannot fail, and it sorts map keys.
	data, _ := json.Marshal(f)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// FabricChanges sorts the fabrics of two configurations by what a reload
// must do with them. Each list is in the order of the configuration the
// names come from.
type FabricChanges struct {
	Added     []string // in the new configuration only
	Removed   []string // in the old configuration only
	Changed   []string // in both, with a different FabricHash
	Unchanged []string // in both, identical
}

// DiffFabrics compares the fabrics of old and new by name and FabricHash.
// A nil old configuration has no fabrics.
func DiffFabrics(old, new *Config) FabricChanges {
	var ch FabricChanges
	before := map[string]string{}
	if old != nil {
		for _, f := range old.Fabrics {
			before[f.Name] = FabricHash(f)
		}
	}
	after := map[string]bool{}
	for _, f := range new.Fabrics {
		after[f.Name] = true
		h, ok := before[f.Name]
		switch {
		case !ok:
			ch.Added = append(ch.Added, f.Name)
		case h != FabricHash(f):
			ch.Changed = append(ch.Changed, f.Name)
		default:
			ch.Unchanged = append(ch.Unchanged, f.Name)
		}
	}
	if old != nil {
		for _, f := range old.Fabrics {
			if !after[f.Name] {
				ch.Removed = append(ch.Removed, f.Name)
			}
		}
	}
	return ch
}

// ChangedSettings lists the top-level keys other than fabrics (listen,
// state_dir, log, api, ...) whose values differ between old and new, so the
// reload path can apply them or say which need a restart.
func ChangedSettings(old, new *Config) []string {
	var keys []string
	ov, nv := reflect.ValueOf(old).Elem(), reflect.ValueOf(new).Elem()
	t := ov.Type()
	for i := range t.NumField() {
		key := fieldsKey(t.Field(i))
		if key == "" || key == "fabrics" {
			continue
		}
		if !reflect.DeepEqual(ov.Field(i).Interface(), nv.Field(i).Interface()) {
			keys = append(keys, key)
		}
	}
	return keys
}

func fieldsKey(f reflect.StructField) string {
	tag := f.Tag.Get("yaml")
	if tag == "-" {
		return ""
	}
	return tag
}

// ChangedServing lists the keys of the HTTP server's limits and host
// allow-list (api.max_connections, api.max_event_streams,
// api.allowed_hosts) that differ between old and new: the server is built
// once, so they take effect only after a restart.
func ChangedServing(old, new *Config) []string {
	var keys []string
	if old.API.MaxConnections != new.API.MaxConnections {
		keys = append(keys, "api.max_connections")
	}
	if old.API.MaxEventStreams != new.API.MaxEventStreams {
		keys = append(keys, "api.max_event_streams")
	}
	if !slices.Equal(old.API.AllowedHosts, new.API.AllowedHosts) {
		keys = append(keys, "api.allowed_hosts")
	}
	return keys
}
