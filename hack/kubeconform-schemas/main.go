// Command kubeconform-schemas writes the JSON schemas kubeconform validates manifests against, from the real
// kube-apiserver of hack/tools.env's version (no download: the published schema sets are out of reach here).
// It starts etcd and kube-apiserver (internal/testenv), reads /openapi/v2 and writes one standalone, strict
// schema per kind in kubeconform's layout (<kind>-<group>-<version>.json, the group's first label; core kinds
// <kind>-<version>.json): every $ref inlined, unknown fields refused, int-or-string and quantities accepting
// both forms, as yannh/kubernetes-json-schema's "-standalone-strict" sets are made.
//
// Usage: go run ./hack/kubeconform-schemas DIR
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/discovery"

	"github.com/alitok/workspace-operator/internal/testenv"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: kubeconform-schemas DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "kubeconform-schemas:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	// No CRDs: the chart renders CustomResourceDefinitions, whose own kind is built in.
	empty, err := os.MkdirTemp("", "no-crds-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(empty) }()
	env, err := testenv.Start(testenv.Options{CRDDirectories: []string{empty}})
	if err != nil {
		return err
	}
	defer func() { _ = env.Stop() }()
	dc, err := discovery.NewDiscoveryClientForConfig(env.Config)
	if err != nil {
		return err
	}
	raw, err := dc.RESTClient().Get().AbsPath("/openapi/v2").SetHeader("Accept", "application/json").Do(context.Background()).Raw()
	if err != nil {
		return fmt.Errorf("reading /openapi/v2: %w", err)
	}
	var doc struct {
		Definitions map[string]map[string]any `json:"definitions"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return err
	}
	tmp := dir + ".tmp"
	_ = os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	n := 0
	for name, def := range doc.Definitions {
		gvks, _ := def["x-kubernetes-group-version-kind"].([]any)
		for _, g := range gvks {
			gvk, _ := g.(map[string]any)
			group, _ := gvk["group"].(string)
			version, _ := gvk["version"].(string)
			kind, _ := gvk["kind"].(string)
			if kind == "" || strings.HasSuffix(kind, "List") || kind == "WatchEvent" || kind == "DeleteOptions" || kind == "Status" {
				continue
			}
			schema := resolve(doc.Definitions, name, nil)
			apiVersion := version
			if group != "" {
				apiVersion = group + "/" + version
			}
			props, _ := schema["properties"].(map[string]any)
			if props != nil {
				// A manifest names exactly this kind and apiVersion.
				props["apiVersion"] = map[string]any{"type": "string", "enum": []any{apiVersion}}
				props["kind"] = map[string]any{"type": "string", "enum": []any{kind}}
			}
			schema["$schema"] = "http://json-schema.org/schema#"
			suffix := "-" + strings.ToLower(version)
			if group != "" {
				suffix = "-" + strings.ToLower(strings.Split(group, ".")[0]) + suffix
			}
			out, err := json.MarshalIndent(schema, "", "  ")
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(tmp, strings.ToLower(kind)+suffix+".json"), out, 0o644); err != nil {
				return err
			}
			n++
		}
	}
	_ = os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	fmt.Printf("wrote %d schemas into %s\n", n, dir)
	return nil
}

// resolve returns definition name with every $ref inlined, strict (additionalProperties false where the
// definition lists its properties and allows nothing else). A definition already being resolved further up
// (JSONSchemaProps in a CRD's validation) becomes an open object: kubeconform checks CRDs' own schemas no
// deeper than the API server's types allow.
func resolve(defs map[string]map[string]any, name string, stack []string) map[string]any {
	switch name {
	case "io.k8s.apimachinery.pkg.util.intstr.IntOrString":
		return map[string]any{"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "integer"}}}
	case "io.k8s.apimachinery.pkg.api.resource.Quantity":
		return map[string]any{"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "number"}}}
	}
	for _, s := range stack {
		if s == name {
			return map[string]any{"type": "object"}
		}
	}
	def, ok := defs[name]
	if !ok {
		return map[string]any{}
	}
	return walk(defs, def, append(stack, name)).(map[string]any)
}

func walk(defs map[string]map[string]any, v any, stack []string) any {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["$ref"].(string); ok {
			return resolve(defs, strings.TrimPrefix(ref, "#/definitions/"), stack)
		}
		out := make(map[string]any, len(x)+1)
		for k, vv := range x {
			if k == "properties" {
				props := map[string]any{}
				for pk, pv := range vv.(map[string]any) {
					props[pk] = walk(defs, pv, stack)
				}
				out[k] = props
				continue
			}
			out[k] = walk(defs, vv, stack)
		}
		if _, has := x["properties"]; has {
			if _, open := x["additionalProperties"]; !open && x["x-kubernetes-preserve-unknown-fields"] != true {
				out["additionalProperties"] = false
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, vv := range x {
			out[i] = walk(defs, vv, stack)
		}
		return out
	default:
		return v
	}
}
