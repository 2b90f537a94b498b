package kind

import (
	"net/url"
	"regexp"
	"strings"
)

// urlInText finds the URLs of a string (a config value, a rendered body).
var urlInText = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'<>]+`)

// hookHosts are hosts whose URL paths are the credential (incoming
// webhooks): every path segment after the first is redacted.
var hookHosts = []string{"hooks.slack.com", "discord.com", "discordapp.com", "webhook.office.com", "chat.googleapis.com"}

// credentialParams are the substrings that make a query parameter name a
// credential (matched case-insensitively); credentialParamNames are whole
// names.
var (
	credentialParams     = []string{"token", "secret", "password", "passwd", "apikey", "api_key", "api-key", "auth", "signature", "credential", "access_key", "private"}
	credentialParamNames = []string{"key", "sig", "pwd", "pass", "code"}
)

var (
	rowflowID = regexp.MustCompile(`^[a-z]{3}_[0-9A-Z]{26}$`)
	uuidLike  = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	tokenSeg  = regexp.MustCompile(`^[A-Za-z0-9_\-.~]{24,}$`)
)

// redactURLs returns s with every URL in it redacted (redactURL).
func redactURLs(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return urlInText.ReplaceAllStringFunc(s, redactURL)
}

// redactURL shows Redacted in place of a URL's userinfo, credential query
// values and token path segments; a URL that does not parse is left alone.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	changed := false
	userinfo := ""
	if u.User != nil {
		// Built by hand: url.Userinfo would escape the marker's stars.
		if _, has := u.User.Password(); has {
			userinfo = url.User(u.User.Username()).String() + ":" + Redacted + "@"
		} else {
			userinfo = Redacted + "@"
		}
		u.User = nil
		changed = true
	}
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			name, _, has := strings.Cut(p, "=")
			if has && credentialParam(name) {
				parts[i] = name + "=" + Redacted
				changed = true
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	if p := u.EscapedPath(); p != "" {
		segs := strings.Split(p, "/")
		hook := isHookHost(u.Hostname())
		for i, seg := range segs {
			if seg == "" || strings.Contains(seg, "{{") {
				continue
			}
			if (hook && i >= 2) || tokenLike(seg) {
				segs[i] = Redacted
				changed = true
			}
		}
		if changed {
			u.RawPath = ""
			u.Path = ""
			if rp, err := url.PathUnescape(strings.Join(segs, "/")); err == nil {
				u.Path = rp
			}
		}
	}
	if !changed {
		return raw
	}
	out := u.String()
	if userinfo != "" {
		out = strings.Replace(out, "://", "://"+userinfo, 1)
	}
	return out
}

// credentialParam reports a query parameter name that names a credential.
func credentialParam(name string) bool {
	n := strings.ToLower(name)
	for _, c := range credentialParamNames {
		if n == c {
			return true
		}
	}
	for _, c := range credentialParams {
		if strings.Contains(n, c) {
			return true
		}
	}
	return false
}

func isHookHost(host string) bool {
	host = strings.ToLower(host)
	for _, h := range hookHosts {
		if host == h || strings.HasSuffix(host, "."+h) {
			return true
		}
	}
	return false
}

// tokenLike reports a path segment that looks like a credential: long,
// letters and digits mixed, and not a rowflow id or a UUID.
func tokenLike(seg string) bool {
	if !tokenSeg.MatchString(seg) || rowflowID.MatchString(seg) || uuidLike.MatchString(seg) {
		return false
	}
	return strings.ContainsAny(seg, "0123456789") && strings.ContainsAny(strings.ToLower(seg), "abcdefghijklmnopqrstuvwxyz")
}
