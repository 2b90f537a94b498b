package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/record"
	"github.com/rowflow/rowflow/script"
)

// RunScriptConfig is run_script's config.
type RunScriptConfig struct {
	Code      string         `json:"code" maxLength:"102400" doc:"JavaScript, the body of an async function (top-level await works): input.config(), output.set(key, value), console.log/info/warn/error, await base.getTable(name).selectRecordsAsync({filter?, sort?, limit?}), await table.selectRecordAsync(id). Never templated: pass run data through inputs. At most 100 KiB; syntax-checked when saved" example:"const {amount} = input.config();\noutput.set('vat', Math.round(amount * 0.2 * 100) / 100);"`
	Inputs    map[string]any `json:"inputs,omitempty" doc:"what input.config() returns; its strings are templates ({{trigger.record.fields.Amount}}); at most 1 MiB as JSON" example:"{\"amount\":\"{{trigger.record.fields.Amount}}\"}"`
	TimeoutMS int            `json:"timeout_ms,omitempty" minimum:"1" maximum:"120000" doc:"wall-clock limit; default 30000"`
	MemoryMB  int            `json:"memory_mb,omitempty" minimum:"4" maximum:"256" doc:"JavaScript heap limit; default 64"`
}

// ScriptRecords is the part of the record service a script reads through;
// *record.Service implements it and checks the principal of ctx.
type ScriptRecords interface {
	ListTables(ctx context.Context, baseID string) ([]*record.Table, error)
	ListRecords(ctx context.Context, tableID string, o record.ListOpts) (*record.Table, []record.Record, string, error)
	GetRecord(ctx context.Context, tableID, id string) (*record.Table, record.Record, error)
}

// RunScript runs the user's JavaScript in a sandbox (package script):
// bounded in time and memory, one VM per execution, at most the Runner's
// concurrency at once, with read-only access to the records of the
// automation's own base.
type RunScript struct {
	// Runner executes the scripts (its concurrency bounds the process's
	// worst case at concurrency × memory_mb).
	Runner *script.Runner
	// Records serves base.getTable reads, with a viewer principal scoped
	// to the run's base.
	Records ScriptRecords
}

// Name implements kind.Kind.
func (RunScript) Name() string { return "run_script" }

// Summary implements kind.Kind.
func (RunScript) Summary() string {
	return "Run JavaScript (input.config(), output.set(), console.log, read-only base.getTable(name).selectRecordsAsync()) bounded in time and memory; a failure is retried only if the step's retry says so."
}

// NewConfig implements kind.Kind.
func (RunScript) NewConfig() any { return &RunScriptConfig{} }

// Example implements kind.Kind.
func (RunScript) Example(string) any {
	return RunScriptConfig{
		Code:   "const {amount} = input.config();\noutput.set('vat', Math.round(amount * 20) / 100);",
		Inputs: map[string]any{"amount": "{{trigger.record.fields.Amount}}"},
	}
}

// VerbatimKeys implements kind.Verbatim: the code is never a template.
func (RunScript) VerbatimKeys() []string { return []string{"code"} }

// Validate implements kind.Action: sizes, limits, and the code's syntax
// (with its line and column).
func (RunScript) Validate(v kind.Validator, cfg any, loc string) {
	c := cfg.(*RunScriptConfig)
	switch {
	case strings.TrimSpace(c.Code) == "":
		v.Add(loc+".code", "is required")
	case len(c.Code) > script.MaxCodeBytes:
		v.Add(loc+".code", "is %d bytes; at most %d KiB", len(c.Code), script.MaxCodeBytes>>10)
	default:
		if err := script.Check(v.Context(), c.Code); err != nil {
			v.Add(loc+".code", "%s", err.Error())
		}
	}
	if c.TimeoutMS < 0 || time.Duration(c.TimeoutMS)*time.Millisecond > script.MaxTimeout {
		v.Add(loc+".timeout_ms", "must be between 1 and %d", script.MaxTimeout.Milliseconds())
	}
	if c.MemoryMB != 0 && (c.MemoryMB < script.MinMemoryBytes>>20 || c.MemoryMB > script.MaxMemoryBytes>>20) {
		v.Add(loc+".memory_mb", "must be between %d and %d", script.MinMemoryBytes>>20, script.MaxMemoryBytes>>20)
	}
	if raw, err := json.Marshal(c.Inputs); err == nil && len(raw) > script.MaxInputBytes {
		v.Add(loc+".inputs", "is %d bytes as JSON; at most %d KiB", len(raw), script.MaxInputBytes>>10)
	}
}

// Execute implements kind.Action. The output is every output.set key plus
// "logs" (the console lines); a failed script keeps them in the step's
// output beside its error.
func (a RunScript) Execute(ctx context.Context, s *kind.StepContext, cfg any) (any, error) {
	c := cfg.(*RunScriptConfig)
	inputs := c.Inputs
	if inputs == nil {
		inputs = map[string]any{}
	}
	// Reads run as a viewer of the run's base only: whatever the script
	// does, it cannot write, nor see another base.
	rctx := rowflow.WithPrincipal(ctx, rowflow.Principal{Role: rowflow.RoleViewer, BaseIDs: []string{s.BaseID}})
	res, err := a.Runner.Run(ctx, script.Request{
		Code:        c.Code,
		Input:       inputs,
		Timeout:     time.Duration(c.TimeoutMS) * time.Millisecond,
		MemoryBytes: c.MemoryMB << 20,
		Base:        &scriptBase{ctx: rctx, baseID: s.BaseID, records: a.Records, tables: map[string]*record.Table{}},
	})
	out := scriptOutput(res)
	if err != nil {
		var se *script.Error
		if !errors.As(err, &se) {
			// The context ended while waiting for a slot (shutdown).
			return nil, &kind.ActionError{Err: fmt.Errorf("waiting to run the script: %w", err), Retryable: true}
		}
		retry := s.RetryDeclared && se.Kind != script.KindSyntax && se.Kind != script.KindLimit
		if se.Kind == script.KindCanceled {
			retry = true // the process is stopping: the step runs again elsewhere
		}
		return nil, &kind.ActionError{Err: err, Retryable: retry, Output: out}
	}
	return out, nil
}

// scriptOutput is the step output: output.set keys and logs.
func scriptOutput(res *script.Result) map[string]any {
	out := map[string]any{"logs": []string{}}
	if res == nil {
		return out
	}
	for k, v := range res.Output {
		out[k] = v
	}
	if res.Logs != nil {
		out["logs"] = res.Logs
	}
	return out
}

// scriptBase is script.Base over the record service for one execution:
// tables of the run's base only, resolved once by name or id.
type scriptBase struct {
	ctx     context.Context // the viewer principal of the run's base
	baseID  string
	records ScriptRecords
	list    []*record.Table
	tables  map[string]*record.Table // by id, those the script asked for
}

// Table implements script.Base.
func (b *scriptBase) Table(ctx context.Context, nameOrID string) (script.Table, error) {
	if b.list == nil {
		list, err := b.records.ListTables(b.with(ctx), b.baseID)
		if err != nil {
			return script.Table{}, readError(err)
		}
		b.list = list
	}
	var t *record.Table
	for _, c := range b.list {
		if c.ID == nameOrID || c.Name == nameOrID {
			t = c
			break
		}
	}
	if t == nil {
		for _, c := range b.list {
			if strings.EqualFold(c.Name, nameOrID) {
				t = c
				break
			}
		}
	}
	if t == nil {
		return script.Table{}, fmt.Errorf("base.getTable: no table %q in this base", nameOrID)
	}
	b.tables[t.ID] = t
	st := script.Table{ID: t.ID, Name: t.Name, Fields: make([]script.Field, 0, len(t.Fields))}
	for _, f := range t.Fields {
		st.Fields = append(st.Fields, script.Field{ID: f.ID, Name: f.Name, Type: string(f.Type)})
	}
	return st, nil
}

// SelectRecords implements script.Base: at most q.Limit records (default
// and maximum 1000), filtered and sorted like the records API.
func (b *scriptBase) SelectRecords(ctx context.Context, tableID string, q script.Query) ([]script.Record, error) {
	if b.tables[tableID] == nil {
		return nil, fmt.Errorf("selectRecordsAsync: unknown table %q", tableID)
	}
	o := record.ListOpts{Filter: q.Filter, Limit: q.Limit}
	if o.Limit == 0 {
		o.Limit = 1000
	}
	if len(q.Sort) > 0 && string(q.Sort) != "null" {
		if err := json.Unmarshal(q.Sort, &o.Sort); err != nil {
			var one record.SortSpec
			if json.Unmarshal(q.Sort, &one) != nil || one.Field == "" {
				return nil, errors.New(`selectRecordsAsync: sort must be [{field, direction: "asc"|"desc"}]`)
			}
			o.Sort = []record.SortSpec{one}
		}
	}
	t, recs, _, err := b.records.ListRecords(b.with(ctx), tableID, o)
	if err != nil {
		return nil, readError(err)
	}
	out := make([]script.Record, len(recs))
	for i, r := range recs {
		out[i] = script.Record{ID: r.ID, CreatedTime: r.CreatedAt, Fields: t.Named(r.Cells)}
	}
	return out, nil
}

// SelectRecord implements script.Base.
func (b *scriptBase) SelectRecord(ctx context.Context, tableID, id string) (*script.Record, error) {
	if b.tables[tableID] == nil {
		return nil, fmt.Errorf("selectRecordAsync: unknown table %q", tableID)
	}
	t, r, err := b.records.GetRecord(b.with(ctx), tableID, id)
	if err != nil {
		if rowflow.ErrorCode(err) == rowflow.CodeNotFound {
			return nil, nil
		}
		return nil, readError(err)
	}
	return &script.Record{ID: r.ID, CreatedTime: r.CreatedAt, Fields: t.Named(r.Cells)}, nil
}

// with is ctx (the script's deadline) carrying the viewer principal.
func (b *scriptBase) with(ctx context.Context) context.Context {
	return rowflow.WithPrincipal(ctx, rowflow.PrincipalFrom(b.ctx))
}

// readError is what a script sees of a failed read: the service's
// client-safe message, never an internal one.
func readError(err error) error {
	var re *rowflow.Error
	if errors.As(err, &re) {
		return errors.New(re.Error())
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return errors.New("reading records: the script's time is up")
	}
	return errors.New("reading records failed")
}

// EffectFree implements kind.EffectFree: a dry run executes it.
func (RunScript) EffectFree() {}
