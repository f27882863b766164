package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"sigs.k8s.io/yaml"
)

var epoch = time.Unix(1795879145, 0).UTC()

func baseOptions() Options {
	return Options{
		Binary:     []byte("\x7fELF not really, but the builder does not look inside\n"),
		Entrypoint: defaultEntrypoint,
		CABundle:   []byte("-----BEGIN CERTIFICATE-----\nhost bundle\n-----END CERTIFICATE-----\n"),
		Epoch:      epoch,
		Arch:       "amd64",
		Version:    "0.1.0",
		Revision:   "0123456789abcdef0123456789abcdef01234567",
	}
}

// file is what the test expects of one layer entry.
type file struct {
	name string
	mode int64
	dir  bool
}

func TestSameInputsGiveTheSameImage(t *testing.T) {
	base := []file{
		{"etc/", 0o755, true},
		{"etc/group", 0o644, false},
		{"etc/passwd", 0o644, false},
		{"etc/ssl/", 0o755, true},
		{"etc/ssl/certs/", 0o755, true},
		{"etc/ssl/certs/ca-certificates.crt", 0o644, false},
		{"tmp/", 0o1777, true},
	}
	cases := []struct {
		name       string
		entrypoint string
		want       []file
	}{
		{
			name:       "default entrypoint",
			entrypoint: defaultEntrypoint,
			want:       append(append([]file{}, base...), file{"workspace-operator", 0o755, false}),
		},
		{
			name:       "entrypoint in directories of its own",
			entrypoint: "/usr/local/bin/workspace-operator",
			want: append(append([]file{}, base...),
				file{"usr/", 0o755, true},
				file{"usr/local/", 0o755, true},
				file{"usr/local/bin/", 0o755, true},
				file{"usr/local/bin/workspace-operator", 0o755, false}),
		},
		{
			name:       "entrypoint in a directory of the base",
			entrypoint: "/etc/workspace-operator",
			want: []file{
				{"etc/", 0o755, true},
				{"etc/group", 0o644, false},
				{"etc/passwd", 0o644, false},
				{"etc/ssl/", 0o755, true},
				{"etc/ssl/certs/", 0o755, true},
				{"etc/ssl/certs/ca-certificates.crt", 0o644, false},
				{"etc/workspace-operator", 0o755, false},
				{"tmp/", 0o1777, true},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := baseOptions()
			o.Entrypoint = tc.entrypoint
			first, second := build(t, o), build(t, o)
			if d1, d2 := digest(t, first), digest(t, second); d1 != d2 {
				t.Fatalf("two builds from the same inputs differ: %s and %s", d1, d2)
			}

			cf, err := first.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if cf.Config.User != "65532:65532" {
				t.Errorf("User = %q, want 65532:65532", cf.Config.User)
			}
			if !reflect.DeepEqual(cf.Config.Entrypoint, []string{tc.entrypoint}) {
				t.Errorf("Entrypoint = %q, want [%s]", cf.Config.Entrypoint, tc.entrypoint)
			}
			if cf.Config.WorkingDir != "/" || cf.OS != "linux" || cf.Architecture != "amd64" {
				t.Errorf("WorkingDir, OS, Architecture = %q, %q, %q; want /, linux, amd64", cf.Config.WorkingDir, cf.OS, cf.Architecture)
			}
			if !cf.Created.Equal(epoch) {
				t.Errorf("Created = %s, want the epoch %s", cf.Created, epoch)
			}
			isPath := func(e string) bool { return strings.HasPrefix(e, "PATH=") }
			if !slices.Contains(cf.Config.Env, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt") || !slices.ContainsFunc(cf.Config.Env, isPath) {
				t.Errorf("Env = %q, want PATH and SSL_CERT_FILE", cf.Config.Env)
			}
			wantLabels := map[string]string{
				"org.opencontainers.image.version":  o.Version,
				"org.opencontainers.image.revision": o.Revision,
				"org.opencontainers.image.source":   "https://github.com/alitok/workspace-operator",
			}
			if !reflect.DeepEqual(cf.Config.Labels, wantLabels) {
				t.Errorf("Labels = %v, want %v", cf.Config.Labels, wantLabels)
			}

			got, bodies := layerFiles(t, first)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("layer holds\n%v\nwant\n%v", got, tc.want)
			}
			if b := bodies[strings.TrimPrefix(tc.entrypoint, "/")]; !bytes.Equal(b, o.Binary) {
				t.Errorf("the binary in the image is %q, want %q", b, o.Binary)
			}
			if b := bodies["etc/ssl/certs/ca-certificates.crt"]; !bytes.Equal(b, o.CABundle) {
				t.Errorf("the CA bundle in the image is %q, want %q", b, o.CABundle)
			}
			if p := string(bodies["etc/passwd"]); !strings.Contains(p, "\nnonroot:x:65532:65532:") || !strings.HasPrefix(p, "root:x:0:0:") {
				t.Errorf("/etc/passwd = %q, want root and nonroot 65532", p)
			}
			if g := string(bodies["etc/group"]); !strings.Contains(g, "\nnonroot:x:65532:") || !strings.HasPrefix(g, "root:x:0:") {
				t.Errorf("/etc/group = %q, want root and nonroot 65532", g)
			}
		})
	}
}

func TestEachInputChangesTheDigest(t *testing.T) {
	base := digest(t, build(t, baseOptions()))
	cases := map[string]func(*Options){
		"binary":     func(o *Options) { o.Binary = append(o.Binary, '!') },
		"epoch":      func(o *Options) { o.Epoch = o.Epoch.Add(time.Second) },
		"CA bundle":  func(o *Options) { o.CABundle = append(o.CABundle, '\n') },
		"entrypoint": func(o *Options) { o.Entrypoint = "/manager" },
		"version":    func(o *Options) { o.Version = "0.1.1" },
		"arch":       func(o *Options) { o.Arch = "arm64" },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			o := baseOptions()
			change(&o)
			if d := digest(t, build(t, o)); d == base {
				t.Errorf("digest %s did not change", d)
			}
		})
	}
}

func TestEntrypointMustBeAFreeCleanAbsolutePath(t *testing.T) {
	for _, ep := range []string{"", "workspace-operator", "/", "/tmp/../workspace-operator", "/etc/passwd", "/etc", "/tmp", "/etc/ssl/certs/ca-certificates.crt/x"} {
		o := baseOptions()
		o.Entrypoint = ep
		if _, err := Build(o); err == nil {
			t.Errorf("entrypoint %q: built, want an error", ep)
		}
	}
}

func TestExtraCAsAreAppendedAndMustBeCertificates(t *testing.T) {
	dir := t.TempDir()
	host := write(t, dir, "host.crt", "host bundle without a final newline")
	cert := selfSignedPEM(t)
	ca := write(t, dir, "proxy.crt", string(cert))

	got, err := caBundle(host, []string{ca, ca})
	if err != nil {
		t.Fatal(err)
	}
	want := "host bundle without a final newline\n" + string(cert) + string(cert)
	if string(got) != want {
		t.Errorf("bundle = %q, want %q", got, want)
	}

	key := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("secret")})
	for name, content := range map[string]string{
		"empty":          "",
		"not PEM":        "hello",
		"a key":          string(key),
		"cert and a key": string(cert) + string(key),
		"trailing junk":  string(cert) + "junk",
		"bad cert":       string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("nope")})),
	} {
		if _, err := caBundle(host, []string{write(t, dir, "bad.crt", content)}); err == nil {
			t.Errorf("--extra-ca %s: accepted, want an error", name)
		}
	}
	if _, err := caBundle(filepath.Join(dir, "missing"), nil); err == nil {
		t.Error("a missing host bundle: accepted, want an error")
	}
}

func TestSourceDateEpochComesFromTheEnvironmentFirst(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "SOURCE_DATE_EPOCH" {
				return v
			}
			return ""
		}
	}
	got, from, err := sourceDateEpoch(env("1700000000"))
	if err != nil || !got.Equal(time.Unix(1700000000, 0)) || from != "SOURCE_DATE_EPOCH" {
		t.Errorf("sourceDateEpoch = %s, %q, %v; want 1700000000 from SOURCE_DATE_EPOCH", got, from, err)
	}
	for _, bad := range []string{"yesterday", "-1", "1.5"} {
		if _, _, err := sourceDateEpoch(env(bad)); err == nil {
			t.Errorf("SOURCE_DATE_EPOCH=%q: accepted, want an error", bad)
		}
	}
}

func TestRunRefusesWhatWouldNotRun(t *testing.T) {
	dir := t.TempDir()
	script := write(t, dir, "script.sh", "#!/bin/sh\necho hi\n")
	out := filepath.Join(dir, "image.tar")
	cases := map[string][]string{
		"no ref":         {"--binary", script, "--out", out},
		"no out":         {"--binary", script, "--ref", "example.com/op:1"},
		"no tag":         {"--binary", script, "--ref", "example.com/op", "--out", out},
		"not an ELF":     {"--binary", script, "--ref", "example.com/op:1", "--out", out},
		"extra argument": {"--binary", script, "--ref", "example.com/op:1", "--out", out, "more"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			err := run(context.Background(), args, io.Discard)
			if err == nil || errors.Is(err, context.Canceled) {
				t.Fatalf("run(%q) = %v, want an error", args, err)
			}
			if _, statErr := os.Stat(out); statErr == nil {
				t.Errorf("%s was written", out)
			}
		})
	}
}

// TestManifestsNameTheChartAppVersion keeps the one image tag in one place: the chart's appVersion, which
// `make image` tags the image with and the chart's Deployment defaults to.
func TestManifestsNameTheChartAppVersion(t *testing.T) {
	var chart struct {
		AppVersion string `json:"appVersion"`
	}
	readYAML(t, "../../charts/workspace-operator/Chart.yaml", &chart)
	var values struct {
		Image struct{ Repository, Tag string } `json:"image"`
	}
	readYAML(t, "../../charts/workspace-operator/values.yaml", &values)
	const repo = "ghcr.io/alitok/workspace-operator"
	if values.Image.Repository != repo || values.Image.Tag != "" {
		t.Errorf("chart values image = %s:%q, want %s with an empty tag (the appVersion)", values.Image.Repository, values.Image.Tag, repo)
	}

	ref := regexp.MustCompile(regexp.QuoteMeta(repo) + `(:[^\s"']*)?`)
	files, err := filepath.Glob("../../config/*/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ref.FindAllStringSubmatch(string(b), -1) {
			seen++
			if m[1] != ":"+chart.AppVersion {
				t.Errorf("%s names %s, want %s:%s (the chart's appVersion)", f, m[0], repo, chart.AppVersion)
			}
		}
	}
	if seen == 0 {
		t.Errorf("no file under config/ names %s", repo)
	}
}

func build(t *testing.T, o Options) v1.Image {
	t.Helper()
	img, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func digest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// layerFiles reads the image's only layer, checking the headers every entry must share.
func layerFiles(t *testing.T, img v1.Image) ([]file, map[string][]byte) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("%d layers, want 1", len(layers))
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var files []file
	bodies := map[string][]byte{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || !h.ModTime.Equal(epoch) {
			t.Errorf("%s: uid %d gid %d uname %q gname %q mtime %s; want 0, 0, no names, %s", h.Name, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime, epoch)
		}
		files = append(files, file{h.Name, h.Mode, h.Typeflag == tar.TypeDir})
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		bodies[h.Name] = b
	}
	return files, bodies
}

func selfSignedPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test proxy CA"},
		NotBefore:             epoch,
		NotAfter:              epoch.Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
