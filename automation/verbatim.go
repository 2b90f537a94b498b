package automation

import "github.com/rowflow/rowflow/automation/kind"

// splitVerbatim takes the verbatim keys of a kind.Verbatim action out of
// its decoded config, so that templates are neither checked nor rendered
// in them; joinVerbatim puts them back after rendering.
func splitVerbatim(at kind.Action, cfg any) (rest any, kept map[string]any) {
	vk, ok := at.(kind.Verbatim)
	m, isMap := cfg.(map[string]any)
	if !ok || !isMap {
		return cfg, nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for _, k := range vk.VerbatimKeys() {
		if v, ok := out[k]; ok {
			if kept == nil {
				kept = map[string]any{}
			}
			kept[k] = v
			delete(out, k)
		}
	}
	return out, kept
}

// joinVerbatim returns the rendered config with the verbatim keys back.
func joinVerbatim(rendered any, kept map[string]any) any {
	m, ok := rendered.(map[string]any)
	if !ok || len(kept) == 0 {
		return rendered
	}
	for k, v := range kept {
		m[k] = v
	}
	return m
}
