package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	// nonroot is the user and group the image runs as: distroless's "nonroot", which the chart's and
	// config/manager's securityContext name too.
	nonroot = "65532"
	// caBundlePath is where the image's CA bundle lives: Debian's path, which Go's crypto/x509 reads on Linux.
	caBundlePath = "/etc/ssl/certs/ca-certificates.crt"
	// defaultEntrypoint is the binary's path in the image.
	defaultEntrypoint = "/workspace-operator"
	sourceURL         = "https://github.com/alitok/workspace-operator"
)

// Homes are "/": the image has no home directories, and the Deployment mounts its root filesystem read-only.
const (
	passwd = "root:x:0:0:root:/:/sbin/nologin\nnonroot:x:" + nonroot + ":" + nonroot + ":nonroot:/:/sbin/nologin\n"
	group  = "root:x:0:\nnonroot:x:" + nonroot + ":\n"
)

// Options is everything the image is made of. Nothing else goes in (no clock, no host user, no file times), so
// equal Options give an equal digest.
type Options struct {
	// Binary is the executable, a static Linux binary.
	Binary []byte
	// Entrypoint is the binary's absolute path in the image.
	Entrypoint string
	// CABundle is the PEM bundle installed at caBundlePath.
	CABundle []byte
	// Epoch is every file's modification time and the image's creation time (SOURCE_DATE_EPOCH).
	Epoch time.Time
	// Arch is the image's architecture in Go's spelling (amd64, arm64).
	Arch string
	// Version and Revision go into the org.opencontainers.image.{version,revision} labels.
	Version, Revision string
}

// entry is one file or directory of the image's only layer.
type entry struct {
	name string // path without the leading slash; a directory's ends in "/"
	mode int64
	body []byte // nil for a directory
}

func (e entry) isDir() bool { return strings.HasSuffix(e.name, "/") }

// Build assembles the image: one layer with the base files and the binary, and a config that runs the binary as
// nonroot. Nothing is pulled.
func Build(o Options) (v1.Image, error) {
	files, err := layerEntries(o)
	if err != nil {
		return nil, err
	}
	layerTar, err := tarLayer(files, o.Epoch)
	if err != nil {
		return nil, err
	}
	// Compressed once here rather than by the library on every read, and with a header that names no file and
	// no time, so the compressed bytes (the layer's digest) depend on the content only.
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(layerTar); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(gz.Bytes())), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}

	created := v1.Time{Time: o.Epoch.UTC()}
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
		Architecture: o.Arch,
		OS:           "linux",
		Created:      created,
		RootFS:       v1.RootFS{Type: "layers"},
		Config: v1.Config{
			User:       nonroot + ":" + nonroot,
			Entrypoint: []string{o.Entrypoint},
			WorkingDir: "/",
			Env: []string{
				"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				"SSL_CERT_FILE=" + caBundlePath,
			},
			Labels: map[string]string{
				"org.opencontainers.image.version":  o.Version,
				"org.opencontainers.image.revision": o.Revision,
				"org.opencontainers.image.source":   sourceURL,
			},
		},
	})
	if err != nil {
		return nil, err
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	return mutate.Append(img, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History: v1.History{
			Created:   created,
			CreatedBy: "hack/image",
			Comment:   "passwd, group, CA bundle, /tmp and " + o.Entrypoint,
		},
	})
}

// layerEntries lists the layer's files and directories, sorted by name (so every directory comes before what
// it holds).
func layerEntries(o Options) ([]entry, error) {
	ep := o.Entrypoint
	if !path.IsAbs(ep) || path.Clean(ep) != ep || ep == "/" {
		return nil, fmt.Errorf("entrypoint %q: want a clean absolute file path, like %s", ep, defaultEntrypoint)
	}
	if len(o.Binary) == 0 {
		return nil, fmt.Errorf("the binary is empty")
	}
	// Keyed by the path without the directory's slash, so that a file cannot take a directory's place.
	byPath := map[string]entry{}
	add := func(e entry) error {
		p := strings.TrimSuffix(e.name, "/")
		if old, ok := byPath[p]; ok {
			if old.isDir() && e.isDir() {
				return nil
			}
			return fmt.Errorf("entrypoint %q: /%s is already in the image", ep, p)
		}
		byPath[p] = e
		return nil
	}
	base := []entry{
		{name: "etc/", mode: 0o755},
		{name: "etc/passwd", mode: 0o644, body: []byte(passwd)},
		{name: "etc/group", mode: 0o644, body: []byte(group)},
		{name: "etc/ssl/", mode: 0o755},
		{name: "etc/ssl/certs/", mode: 0o755},
		{name: strings.TrimPrefix(caBundlePath, "/"), mode: 0o644, body: o.CABundle},
		{name: "tmp/", mode: 0o1777},
	}
	for _, e := range base {
		if err := add(e); err != nil {
			return nil, err
		}
	}
	for dir := path.Dir(ep); dir != "/"; dir = path.Dir(dir) {
		if err := add(entry{name: strings.TrimPrefix(dir, "/") + "/", mode: 0o755}); err != nil {
			return nil, err
		}
	}
	if err := add(entry{name: strings.TrimPrefix(ep, "/"), mode: 0o755, body: o.Binary}); err != nil {
		return nil, err
	}
	out := make([]entry, 0, len(byPath))
	for _, e := range byPath {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// tarLayer writes the entries as an uncompressed tar: owner root, no user or group names, every time epoch.
func tarLayer(files []entry, epoch time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := epoch.UTC().Truncate(time.Second)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, ModTime: mtime}
		if f.isDir() {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(f.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("layer: %s: %w", f.name, err)
		}
		if _, err := tw.Write(f.body); err != nil {
			return nil, fmt.Errorf("layer: %s: %w", f.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
