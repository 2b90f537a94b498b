package automation

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestItemKey(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{
		"update":                   "",
		"each[3].update":           "_3",
		"each[3].inner[15].x":      "_3_15",
		"route.b1.notify":          "",
		"route.b0.each[7].post":    "_7",
		"each[12].route.b2.notify": "_12",
	} {
		require.Equal(t, want, itemKey(path), path)
	}
}

func TestWalkStepsVisitsGroupsDepthFirst(t *testing.T) {
	t.Parallel()
	steps := []StepSpec{
		{ID: "find", Type: "find_records"},
		{ID: "route", Type: StepIf, Branches: []BranchSpec{
			{Steps: []StepSpec{{ID: "a", Type: "send_webhook"}}},
			{Else: true, Steps: []StepSpec{{ID: "each", Type: StepForEach, Steps: []StepSpec{{ID: "b", Type: "update_record"}}}}},
		}},
	}
	var got []string
	WalkSteps(steps, "steps", func(s StepSpec, loc string, depth int) bool {
		got = append(got, loc+"="+s.ID)
		return true
	})
	require.Equal(t, []string{"steps[0]=find", "steps[1]=route", "steps[1].branches[0].steps[0]=a",
		"steps[1].branches[1].steps[0]=each", "steps[1].branches[1].steps[0].steps[0]=b"}, got)
	got = nil
	WalkSteps(steps, "steps", func(s StepSpec, loc string, depth int) bool {
		got = append(got, s.ID)
		return s.Type != StepIf
	})
	require.Equal(t, []string{"find", "route"}, got, "false skips a group's insides")
}

func TestMatchBranch(t *testing.T) {
	t.Parallel()
	data := map[string]any{
		"trigger": map[string]any{"record": map[string]any{"fields": map[string]any{"Status": "Done"}}, "body": map[string]any{"n": 3.0}},
		"steps":   map[string]any{"find": map[string]any{"output": map[string]any{"count": 2.0}}},
		"item":    map[string]any{"fields": map[string]any{"Name": "x"}},
		"index":   4,
	}
	for _, c := range []struct {
		cond string
		want bool
	}{
		{`{"match":"all","rules":[{"field":"Status","op":"is","value":"Done"}]}`, true},
		{`{"match":"all","rules":[{"field":"trigger.record.fields.Status","op":"is","value":"Todo"}]}`, false},
		{`{"match":"all","rules":[{"field":"steps.find.output.count","op":"gt","value":1}]}`, true},
		{`{"match":"all","rules":[{"field":"steps.find.output.count","op":"gt","value":2}]}`, false},
		{`{"match":"all","rules":[{"field":"item.fields.Name","op":"is","value":"x"},{"field":"index","op":"gte","value":4}]}`, true},
		{`{"match":"any","rules":[{"field":"body.n","op":"lt","value":1},{"field":"missing","op":"is_empty"}]}`, true},
	} {
		got, err := matchBranch(json.RawMessage(c.cond), data, time.Now())
		require.NoError(t, err, c.cond)
		require.Equal(t, c.want, got, c.cond)
	}
	_, err := matchBranch(json.RawMessage(`{"formula":"1"}`), data, time.Now())
	require.Error(t, err)
}

func TestRenderItems(t *testing.T) {
	t.Parallel()
	data := map[string]any{"steps": map[string]any{"find": map[string]any{"output": map[string]any{
		"records": []any{map[string]any{"id": "rec_1"}}, "count": 1.0}}}}
	got, err := renderItems(json.RawMessage(`"{{steps.find.output.records}}"`), data)
	require.NoError(t, err)
	require.Equal(t, []any{map[string]any{"id": "rec_1"}}, got)
	got, err = renderItems(json.RawMessage(`[1, "{{steps.find.output.count}}"]`), data)
	require.NoError(t, err)
	require.Equal(t, []any{1.0, 1.0}, got)
	got, err = renderItems(json.RawMessage(`"{{steps.nowhere.output.records}}"`), data)
	require.NoError(t, err)
	require.Empty(t, got, "nothing to iterate is an empty list")
	_, err = renderItems(json.RawMessage(`"{{steps.find.output.count}}"`), data)
	require.EqualError(t, err, "items must be a list, got a number")
}
