package store

import "testing"

func TestPseudonymize(t *testing.T) {
	key := []byte("k1")
	const aliceEmail = "bf2d303157e9e44fb9942f40214ba24f4ca08324cce43828a43d9676ec780feb"
	tests := []struct {
		name        string
		key         []byte
		kind, value string
		want        string
	}{
		{"email is HMAC-SHA256 of kind:value in lowercase hex", key, KindEmail, "alice@example.com", aliceEmail},
		{"email case and surrounding space do not matter", key, KindEmail, "  Alice@Example.COM\n", aliceEmail},
		{"other kinds keep their case but lose surrounding space", key, "buyerId", " AbC 123 ",
			"fa5c847e83fcbf9071197fd9e60dce5c6ba8c813cda284dec8a66eed66e381f4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Pseudonymize(tt.key, tt.kind, tt.value); got != tt.want {
				t.Errorf("Pseudonymize = %s, want %s", got, tt.want)
			}
		})
	}
	t.Run("another tenant key gives an unrelated pseudonym", func(t *testing.T) {
		if Pseudonymize([]byte("k2"), KindEmail, "alice@example.com") == aliceEmail {
			t.Error("same pseudonym under two keys")
		}
	})
	t.Run("the kind separates identifiers with the same text", func(t *testing.T) {
		if Pseudonymize(key, "buyerId", "alice@example.com") == aliceEmail {
			t.Error("same pseudonym for two kinds")
		}
	})
	t.Run("pseudonyms pass the shape check, raw identifiers and the tombstone do not", func(t *testing.T) {
		if !validPseudonym(aliceEmail) {
			t.Error("a pseudonym was rejected")
		}
		for _, bad := range []string{"alice@example.com", Tombstone, "", aliceEmail[:63], "BF2D" + aliceEmail[4:]} {
			if validPseudonym(bad) {
				t.Errorf("%q accepted as a pseudonym", bad)
			}
		}
	})
}
