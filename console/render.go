package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"path"
	"strings"
	"time"
)

// page is what the layout renders around a page's content.
type page struct {
	Title string
	// CSRF is the session's token for the page's forms ("" logged out).
	CSRF string
	// Who names the session's token and role in the header.
	Who     string
	RiverUI bool
	// Crumbs lead back from the page (label → path).
	Crumbs []crumb
	Data   any
}

type crumb struct{ Label, Href string }

// parseTemplates parses each page with the layout and the shared
// partials.
func parseTemplates() map[string]*template.Template {
	shared := []string{"templates/layout.html", "templates/partials.html"}
	pages, err := templateFS.ReadDir("templates")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, e := range pages {
		name := strings.TrimSuffix(e.Name(), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		t := template.Must(template.New(e.Name()).Funcs(funcs).ParseFS(templateFS, append(shared, path.Join("templates", e.Name()))...))
		out[name] = t
	}
	return out
}

// render writes page name with status inside the layout.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	sess := sessionFrom(r.Context())
	if sess.CSRF != "" {
		p.CSRF = sess.CSRF
		pr := sess.Principal
		switch {
		case pr.System:
			p.Who = "admin token"
		case pr.BaseIDs != nil:
			p.Who = fmt.Sprintf("%s token, %d base(s)", pr.Role, len(pr.BaseIDs))
		default:
			p.Who = pr.Role + " token"
		}
		p.RiverUI = c.opts.RiverUI
	}
	var buf bytes.Buffer
	if err := c.tmpl[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		c.log.Error("rendering a console page", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fragment renders one named template of page name (a live update).
func (c *Console) fragment(name, block string, data any) (string, error) {
	var buf bytes.Buffer
	if err := c.tmpl[name].ExecuteTemplate(&buf, block, data); err != nil {
		return "", err
	}
	return buf.String(), nil
}

var funcs = template.FuncMap{
	"when":        when,
	"ago":         ago,
	"duration":    duration,
	"pct":         pct,
	"secs":        secs,
	"pretty":      pretty,
	"deref":       func(s *string) string { return deref(s) },
	"runDuration": runDuration,
	"ago2":        func(t time.Time) string { return ago(&t) },
	"svg":         func(s string) template.HTML { return template.HTML(s) }, // built by svg.go from numbers and escaped text only
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func when(t any) string {
	switch v := t.(type) {
	case time.Time:
		if v.IsZero() {
			return "—"
		}
		return v.UTC().Format("2006-01-02 15:04:05Z")
	case *time.Time:
		if v == nil {
			return "—"
		}
		return when(*v)
	}
	return "—"
}

func ago(t *time.Time) string {
	if t == nil {
		return "never"
	}
	d := time.Since(*t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

// duration is from..to (to nil: still going) in a short human form.
func duration(from, to *time.Time) string {
	if from == nil || to == nil {
		return "—"
	}
	return short(to.Sub(*from))
}

func short(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return d.Round(time.Second).String()
}

func secs(v *float64) string {
	if v == nil {
		return "—"
	}
	return short(time.Duration(*v * float64(time.Second)))
}

func pct(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f %%", *v*100)
}

// pretty indents JSON for a <pre> ("" for none).
func pretty(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}
