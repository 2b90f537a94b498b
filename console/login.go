package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/auth"
)

// loginCookie carries the login form's CSRF token (double submit: no
// session exists yet to hold it).
const loginCookie = "rowflow_login_csrf"

type loginData struct {
	Next  string
	Error string
}

// loginPage shows the token form with a fresh login CSRF token.
func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	c.showLogin(w, r, http.StatusOK, "")
}

func (c *Console) showLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	var raw [24]byte
	_, _ = rand.Read(raw[:])
	tok := base64.RawURLEncoding.EncodeToString(raw[:])
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: tok, Path: "/console/login", MaxAge: 3600, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: auth.SecureRequest(r)})
	next := localPath(r.FormValue("next"), "/console/")
	c.render(w, r, status, "login", page{Title: "Log in", CSRF: tok, Data: loginData{Next: next, Error: msg}})
}

// login exchanges the token of the form for a session: the cookie is set
// and the browser goes to next (a console path). A wrong token shows the
// form again with 401.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	ck, err := r.Cookie(loginCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostFormValue("csrf"))) != 1 || ck.Value == "" {
		c.fail(w, r, rowflow.Errorf(rowflow.CodeForbidden, "missing or wrong CSRF token: reload the login page and try again"))
		return
	}
	value, _, err := c.opts.Sessions.Login(r.Context(), strings.TrimSpace(r.PostFormValue("token")))
	if err != nil {
		if rowflow.ErrorCode(err) == rowflow.CodeUnauthorized {
			c.showLogin(w, r, http.StatusUnauthorized, "That token is not valid.")
			return
		}
		c.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Path: "/console/login", MaxAge: -1})
	http.SetCookie(w, auth.SessionCookieFor(r, value, int(auth.SessionTTL.Seconds())))
	http.Redirect(w, r, localPath(r.PostFormValue("next"), "/console/"), http.StatusSeeOther)
}

// logout ends the session and forgets the cookie.
func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(auth.SessionCookie); err == nil {
		if err := c.opts.Sessions.Logout(r.Context(), ck.Value); err != nil {
			c.fail(w, r, err)
			return
		}
	}
	http.SetCookie(w, auth.SessionCookieFor(r, "", -1))
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}
