// Command image builds the operator's OCI image without a container engine, reproducibly: one layer assembled
// here (passwd and group with root and nonroot 65532, the host's Debian CA bundle, /tmp, the binary), nothing
// pulled, every time fixed to SOURCE_DATE_EPOCH. It writes a docker-archive tarball that `ctr images import` and
// `docker load` accept, or with --push pushes to the registry (the release path).
//
//	go run ./hack/image --binary FILE --ref NAME:TAG --out FILE.tar [--entrypoint /path/in/image] [--extra-ca FILE]... [--push]
//
// hack/image.sh (`make image`) builds the binary and calls this.
package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"debug/elf"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// hostCABundle is Debian's bundle, from the ca-certificates package.
const hostCABundle = "/etc/ssl/certs/ca-certificates.crt"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

// fileList is a repeatable flag.
type fileList []string

func (l *fileList) String() string     { return strings.Join(*l, ",") }
func (l *fileList) Set(v string) error { *l = append(*l, v); return nil }

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	binary := fs.String("binary", "", "the static Linux executable to run (required)")
	refFlag := fs.String("ref", "", "the image's NAME:TAG, e.g. ghcr.io/alitok/workspace-operator:0.1.0 (required)")
	out := fs.String("out", "", "the docker-archive tarball to write (required unless --push)")
	entrypoint := fs.String("entrypoint", defaultEntrypoint, "the binary's path in the image")
	var extraCAs fileList
	fs.Var(&extraCAs, "extra-ca", "a PEM file of CA certificates to append to the image's bundle (repeatable)")
	push := fs.Bool("push", false, "push to --ref with the credentials of ~/.docker/config.json (and write --out if given)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	case *binary == "" || *refFlag == "":
		return errors.New("--binary and --ref are required")
	case *out == "" && !*push:
		return errors.New("--out is required (or --push)")
	}
	ref, err := name.NewTag(*refFlag)
	if err != nil {
		return fmt.Errorf("--ref: %w", err)
	}
	if !strings.HasSuffix(*refFlag, ":"+ref.TagStr()) {
		return fmt.Errorf("--ref %q: name the tag (NAME:TAG)", *refFlag)
	}

	arch, err := binaryArch(*binary)
	if err != nil {
		return err
	}
	bin, err := os.ReadFile(*binary)
	if err != nil {
		return err
	}
	bundle, err := caBundle(hostCABundle, extraCAs)
	if err != nil {
		return err
	}
	epoch, epochSource, err := sourceDateEpoch(os.Getenv)
	if err != nil {
		return err
	}
	img, err := Build(Options{
		Binary:     bin,
		Entrypoint: *entrypoint,
		CABundle:   bundle,
		Epoch:      epoch,
		Arch:       arch,
		Version:    ref.TagStr(),
		Revision:   gitRevision(),
	})
	if err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	id, err := img.ConfigName()
	if err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	layerSize, err := layers[0].Size()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ref     %s (linux/%s)\n", ref, arch)
	fmt.Fprintf(stdout, "digest  %s\n", digest)
	fmt.Fprintf(stdout, "id      %s (config digest)\n", id)
	fmt.Fprintf(stdout, "layer   %s compressed, binary %s\n", mib(layerSize), mib(int64(len(bin))))
	fmt.Fprintf(stdout, "epoch   %d (%s)\n", epoch.Unix(), epochSource)

	if *out != "" {
		if err := tarball.WriteToFile(*out, ref, img); err != nil {
			return fmt.Errorf("writing %s: %w", *out, err)
		}
		st, err := os.Stat(*out)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "file    %s (%s)\n", *out, mib(st.Size()))
	}
	if *push {
		if err := remote.Write(ref, img, remote.WithAuthFromKeychain(authn.DefaultKeychain), remote.WithContext(ctx)); err != nil {
			return fmt.Errorf("pushing %s: %w", ref, err)
		}
		fmt.Fprintf(stdout, "pushed  %s@%s\n", ref.Context(), digest)
	}
	return nil
}

// binaryArch is the image architecture of a static Linux executable, from its ELF header. A dynamically linked
// binary is refused: the image has no C library or loader.
func binaryArch(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", fmt.Errorf("--binary %s: not a Linux executable: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "", fmt.Errorf("--binary %s is dynamically linked and the image has no C library: build it with CGO_ENABLED=0", path)
		}
	}
	arch, ok := map[elf.Machine]string{
		elf.EM_X86_64:  "amd64",
		elf.EM_AARCH64: "arm64",
	}[f.Machine]
	if !ok {
		return "", fmt.Errorf("--binary %s: unsupported machine %s", path, f.Machine)
	}
	return arch, nil
}

// caBundle is the host's bundle followed by each extra PEM file, which must hold only certificates.
func caBundle(host string, extras []string) ([]byte, error) {
	bundle, err := os.ReadFile(host)
	if err != nil {
		return nil, fmt.Errorf("the host's CA bundle (Debian package ca-certificates): %w", err)
	}
	for _, file := range extras {
		pemBytes, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--extra-ca: %w", err)
		}
		if err := onlyCertificates(pemBytes); err != nil {
			return nil, fmt.Errorf("--extra-ca %s: %w", file, err)
		}
		if len(bundle) > 0 && !bytes.HasSuffix(bundle, []byte("\n")) {
			bundle = append(bundle, '\n')
		}
		bundle = append(bundle, pemBytes...)
	}
	return bundle, nil
}

// onlyCertificates checks that b is one or more PEM CERTIFICATE blocks that parse, and nothing else: a private
// key pasted by mistake must not end up in an image.
func onlyCertificates(b []byte) error {
	n := 0
	for rest := b; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			if len(bytes.TrimSpace(rest)) > 0 {
				return errors.New("holds something other than PEM blocks")
			}
			break
		}
		if block.Type != "CERTIFICATE" {
			return fmt.Errorf("holds a PEM %q block; only CERTIFICATE blocks belong in a CA bundle", block.Type)
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return err
		}
	}
	if n == 0 {
		return errors.New("holds no PEM certificate")
	}
	return nil
}

// sourceDateEpoch is the time every file and the image carry: SOURCE_DATE_EPOCH, else the commit time of HEAD,
// else the Unix epoch. It also says which it took.
func sourceDateEpoch(getenv func(string) string) (time.Time, string, error) {
	if s := getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil || sec < 0 {
			return time.Time{}, "", fmt.Errorf("SOURCE_DATE_EPOCH=%q: want seconds since 1970", s)
		}
		return time.Unix(sec, 0).UTC(), "SOURCE_DATE_EPOCH", nil
	}
	if out, err := exec.Command("git", "log", "-1", "--format=%ct").Output(); err == nil {
		if sec, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil {
			return time.Unix(sec, 0).UTC(), "commit time of HEAD", nil
		}
	}
	return time.Unix(0, 0).UTC(), "no SOURCE_DATE_EPOCH and no git commit", nil
}

// gitRevision is the commit of HEAD, for the revision label; "unknown" outside a git checkout.
func gitRevision() string {
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
