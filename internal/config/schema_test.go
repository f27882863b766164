package config

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The chart's values.schema.json refuses unknown keys under `config`, so it must know every field of the
// configuration file, and the chart's default `config` must load (strictly) as the operator loads it.
func TestChartSchemaKnowsEveryConfigField(t *testing.T) {
	data, err := os.ReadFile("../../charts/workspace-operator/values.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	configSchema := dig(t, schema, "properties", "config")
	checkFields(t, "config", reflect.TypeFor[Config](), configSchema)
}

// checkFields compares a struct's JSON field names with the schema's properties, and recurses into the fields
// that are structs of this package (the parts the schema describes field by field).
func checkFields(t *testing.T, path string, typ reflect.Type, schema map[string]any) {
	t.Helper()
	props, _ := schema["properties"].(map[string]any)
	if schema["additionalProperties"] != false {
		t.Errorf("values.schema.json: %s must refuse unknown keys (additionalProperties: false)", path)
	}
	var fields []string
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		fields = append(fields, name)
		sub, ok := props[name].(map[string]any)
		if !ok {
			t.Errorf("values.schema.json has no %s.%s: add it, or `helm install --set %s.%s=…` is refused", path, name, path, name)
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft.PkgPath() == typ.PkgPath() {
			checkFields(t, path+"."+name, ft, sub)
		}
	}
	for name := range props {
		if !slices.Contains(fields, name) {
			t.Errorf("values.schema.json has %s.%s, which the configuration does not have", path, name)
		}
	}
}

func TestChartDefaultConfigLoads(t *testing.T) {
	data, err := os.ReadFile("../../charts/workspace-operator/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		Config map[string]any `json:"config"`
	}
	if err := yaml.Unmarshal(data, &values); err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(values.Config)
	if err != nil {
		t.Fatal(err)
	}
	file := t.TempDir() + "/config.yaml"
	if err := os.WriteFile(file, out, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(file)
	if err != nil {
		t.Fatalf("the chart's default config does not load: %v", err)
	}
	if cfg.Worker.Image != "" {
		t.Errorf("the chart pins worker.image %q: Jobs would not follow the operator's image", cfg.Worker.Image)
	}
}

func dig(t *testing.T, m map[string]any, keys ...string) map[string]any {
	t.Helper()
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			t.Fatalf("values.schema.json: no %s", strings.Join(keys, "."))
		}
		m = next
	}
	return m
}
