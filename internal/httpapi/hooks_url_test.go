package httpapi

import (
	"slices"
	"testing"
)

func TestRepoKey(t *testing.T) {
	tests := []struct {
		url  string
		want string
	}{
		{"https://git.example/org/repo.git", "git.example/org/repo"},
		{"https://GIT.Example./Org/Repo/", "git.example/org/repo"},
		{"ssh://git@git.example:2222/org/repo.git", "git.example/org/repo"},
		{"git@git.example:org/repo.git", "git.example/org/repo"},
		{"git.example:org/repo", "git.example/org/repo"},
		{"https://oauth2:tok@git.example/org/repo", "git.example/org/repo"},
		{"git://git.example/org/repo.git", "git.example/org/repo"},
		{"https://gitlab.example/group/sub/project.git", "gitlab.example/group/sub/project"},
		{"git@[::1]:org/repo.git", "::1/org/repo"},
		{"http://[::1]:8080/org/repo", "::1/org/repo"},
		{"https://git.example//org/./repo.git/", "git.example/org/repo"},
		{"file:///srv/git/Repo.git", "file:///srv/git/Repo"},
		{"file://localhost/srv/git/Repo/", "file:///srv/git/Repo"},
		{"/srv/git/Repo.git", "file:///srv/git/Repo"},
		{"", ""},
		{"  ", ""},
		{"not a url", ""},
		{"https://git.example/", ""},
		{"https://git.example/.git", ""},
		{"file://otherhost/srv/git/repo", ""},
		{"git@:org/repo", ""},
		{"https://git.example/org/re\npo", ""},
		{"%zz://x", ""},
	}
	for _, tt := range tests {
		if got := RepoKey(tt.url); got != tt.want {
			t.Errorf("RepoKey(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
}

func TestSameRepo(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"https://git.example/org/repo.git", "https://git.example/org/repo", true},
		{"https://git.example/org/repo", "https://git.example/org/repo/", true},
		{"HTTPS://GIT.EXAMPLE/org/repo", "http://git.example/org/repo", true},
		{"git@git.example:org/repo.git", "https://git.example/org/repo", true},
		{"ssh://git@git.example:22/org/repo", "https://git.example:443/org/repo.git", true},
		{"https://user@git.example/org/repo", "https://git.example/org/repo", true},
		{"https://git.example/Org/Repo", "git@git.example:org/repo.git", true},
		{"git@gitlab.example:group/sub/proj.git", "https://gitlab.example/group/sub/proj", true},
		{"file:///srv/git/repo.git", "/srv/git/repo", true},

		{"https://git.example/org/repo", "https://git.example/org/repo2", false},
		{"https://git.example/org/repo", "https://other.example/org/repo", false},
		{"https://git.example/org/repo", "https://git.example/other/repo", false},
		{"https://git.example/a/org/repo", "https://git.example/org/repo", false},
		{"file:///srv/git/Repo", "file:///srv/git/repo", false},
		{"file:///git.example/org/repo", "https://git.example/org/repo", false},
		{"", "", false},
		{"https://git.example/", "https://git.example/", false},
	}
	for _, tt := range tests {
		if got := SameRepo(tt.a, tt.b); got != tt.want {
			t.Errorf("SameRepo(%q, %q) = %v, want %v (keys %q, %q)", tt.a, tt.b, got, tt.want, RepoKey(tt.a), RepoKey(tt.b))
		}
		if got := SameRepo(tt.b, tt.a); got != tt.want {
			t.Errorf("SameRepo(%q, %q) = %v, want %v: not symmetric", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestMatchHookSources(t *testing.T) {
	srcs := []HookSource{
		{Fabric: "dc1", URL: "https://git.example/org/fabrics.git", Branch: "main", SecretFile: "/etc/fgd/dc1.hook"},
		{Fabric: "dc2", URL: "git@git.example:org/fabrics.git", Branch: "dev"},
		{Fabric: "dc3", URL: "https://git.example/org/other.git", Branch: "main"},
		{Fabric: "dc4", URL: "ssh://git@git.example/org/fabrics", Branch: "main"},
	}
	names := func(fs []HookFabric) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Name)
		}
		return out
	}
	tests := []struct {
		name   string
		urls   []string
		branch string
		want   []string
	}{
		{"branch main", []string{"https://git.example/org/fabrics"}, "main", []string{"dc1", "dc4"}},
		{"any branch", []string{"https://git.example/org/fabrics"}, "", []string{"dc1", "dc2", "dc4"}},
		{"any of the URLs", []string{"https://elsewhere.example/x", "git@git.example:org/other.git"}, "main", []string{"dc3"}},
		{"branch followed by none", []string{"https://git.example/org/fabrics"}, "feature", nil},
		{"unknown repository", []string{"https://git.example/org/nope"}, "", nil},
		{"no URLs", nil, "", nil},
		{"unusable URLs", []string{"", "nonsense"}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MatchHookSources(srcs, tt.urls, tt.branch)
			if !slices.Equal(names(got), tt.want) {
				t.Errorf("MatchHookSources = %v, want %v", names(got), tt.want)
			}
		})
	}
	if got := MatchHookSources(srcs, []string{"https://git.example/org/fabrics"}, "main"); got[0].SecretFile != "/etc/fgd/dc1.hook" {
		t.Errorf("secret file not carried: %+v", got[0])
	}
}
