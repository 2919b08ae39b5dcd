package directory

// Tree is what the sink publishes now.
type Tree struct {
	// Dir is the live tree's directory ("" when nothing is published).
	Dir string
	// Revision is the revision the live tree was published at.
	Revision string
	// Files maps each file's tree-relative path to what is there now.
	Files map[string]File
}

// File is one published file.
type File struct {
	// Key is the resource identity fgd recorded for the file ("" for a
	// file fgd did not write).
	Key string
	// Hash is the hex sha256 of the file's bytes as they are now.
	Hash string
}

// Inventory returns what is published now, read from the live tree: each
// file's tree-relative path and the hex sha256 of its bytes. After a
// restart it tells the reconciler what the sink holds.
func (p *Publisher) Inventory() (map[string]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	live, err := p.readLive()
	if err != nil {
		return nil, err
	}
	return live.actual, nil
}

// Published returns the live tree with the identity fgd recorded for each
// file, for callers that track resources by key rather than by path.
func (p *Publisher) Published() (Tree, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	live, err := p.readLive()
	if err != nil {
		return Tree{}, err
	}
	t := Tree{Dir: live.dir, Revision: live.revision, Files: make(map[string]File, len(live.actual))}
	for path, h := range live.actual {
		f := File{Hash: h}
		if e, ok := live.recorded[path]; ok {
			f.Key = e.Key
		}
		t.Files[path] = f
	}
	return t, nil
}
