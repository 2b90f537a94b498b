package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/itchyny/gojq"
)

// The payload mapping: name → jq expression over {body, headers, query},
// each compiled once per webhook version (compiledMapping, cached by id
// and updated_at) and run with a deadline on an input of bounded size.
// The first value an expression yields is {{trigger.data.<name>}} (null
// when it yields none).

const (
	// mappingTimeout bounds all of one request's expressions together.
	mappingTimeout = 100 * time.Millisecond
	// mappingInputCap is the largest raw body a mapping runs on.
	mappingInputCap = 1 << 20
)

// compiledMapping is one webhook version's compiled expressions.
type compiledMapping struct {
	version time.Time
	names   []string
	codes   map[string]*gojq.Code
}

// compileExpr parses and compiles one expression ($ENV stays empty).
func compileExpr(expr string) (*gojq.Code, error) {
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, err
	}
	return gojq.Compile(q)
}

// mappingFor returns the compiled mapping of a webhook version.
func (s *Service) mappingFor(id string, version time.Time, raw json.RawMessage) (*compiledMapping, error) {
	s.mu.Lock()
	m, ok := s.mappings[id]
	s.mu.Unlock()
	if ok && m.version.Equal(version) {
		return m, nil
	}
	var exprs map[string]string
	if err := json.Unmarshal(raw, &exprs); err != nil {
		return nil, err
	}
	m = &compiledMapping{version: version, codes: map[string]*gojq.Code{}}
	for name, expr := range exprs {
		code, err := compileExpr(expr)
		if err != nil {
			return nil, fmt.Errorf("mapping %s: %w", name, err)
		}
		m.names = append(m.names, name)
		m.codes[name] = code
	}
	sort.Strings(m.names)
	s.mu.Lock()
	s.mappings[id] = m
	s.mu.Unlock()
	return m, nil
}

// run evaluates every expression on input; the error names the first
// expression that failed.
func (m *compiledMapping) run(ctx context.Context, input map[string]any, rawSize int) (map[string]any, error) {
	out := make(map[string]any, len(m.names))
	if len(m.names) == 0 {
		return out, nil
	}
	if rawSize > mappingInputCap {
		return nil, fmt.Errorf("the body (%d bytes) is over the mapping's input limit of %d bytes", rawSize, mappingInputCap)
	}
	ctx, cancel := context.WithTimeout(ctx, mappingTimeout)
	defer cancel()
	for _, name := range m.names {
		iter := m.codes[name].RunWithContext(ctx, input)
		v, ok := iter.Next()
		if !ok {
			out[name] = nil
			continue
		}
		if err, isErr := v.(error); isErr {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("mapping %s: took longer than %s", name, mappingTimeout)
			}
			return nil, fmt.Errorf("mapping %s: %w", name, err)
		}
		out[name] = v
	}
	return out, nil
}
