package build

import (
	"encoding/json"
	"sync"
)

// renderedConfigs caches RenderConfig across calls: YAML-encoding the config
// was a twentieth of a steady-state call, for the same few bytes every time.
//
// The rule for a cache across calls, here and anywhere in the function: its
// key is a complete digest of everything its value depends on, and it is
// bounded in memory. RenderConfig's output depends on nothing but the value
// of its DittoFSConfig, all of it exported fields of plain types (no
// marshalers, no json:"-"; TestRenderedConfigKeyIsComplete checks the types
// stay so), and the key is that value's JSON, which writes every one of those
// fields: equal keys, equal values, the same YAML. At most maxRenderedConfigs
// entries (a few hundred bytes each); a full cache starts over.
// TestRenderConfigCached checks cached and uncached renders are the same
// bytes over the corpus's servers and over changes to every field.
var renderedConfigs = &configCache{m: map[string]string{}}

const maxRenderedConfigs = 256

type configCache struct {
	mu sync.RWMutex
	m  map[string]string
}

// renderedConfigKey is the cache key of c; keyed is false when there is none (the
// cache is then passed by).
func renderedConfigKey(c DittoFSConfig) (string, bool) {
	b, err := json.Marshal(c) //nolint:musttag // the key is every field by its Go name; the yaml tags name them in the file
	if err != nil {
		return "", false
	}
	return string(b), true
}

func (cc *configCache) get(key string, keyed bool) (string, bool) {
	if !keyed {
		return "", false
	}
	cc.mu.RLock()
	defer cc.mu.RUnlock()
	out, ok := cc.m[key]
	return out, ok
}

func (cc *configCache) put(key string, keyed bool, out string) {
	if !keyed {
		return
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if len(cc.m) >= maxRenderedConfigs {
		clear(cc.m)
	}
	cc.m[key] = out
}
