package smtp

import (
	"fmt"
	"net/mail"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// CheckAddress parses one address ("a@b.c" or "Name <a@b.c>") and returns
// it in canonical form, or an error naming it.
func CheckAddress(s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("%q is not an email address", s)
	}
	return a.String(), nil
}

// SplitAddresses splits a comma-separated list of addresses (a rendered
// template), checking each; the error names the first bad one.
func SplitAddresses(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	list, err := mail.ParseAddressList(s)
	if err != nil {
		// Name the culprit: check the parts one by one.
		for _, part := range strings.Split(s, ",") {
			if _, err := CheckAddress(part); err != nil {
				return nil, err
			}
		}
		return nil, fmt.Errorf("%q is not a list of email addresses", s)
	}
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.String()
	}
	return out, nil
}

// build turns m into a go-mail message.
func build(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	bad := func(what string, err error) error {
		return &Error{Err: fmt.Errorf("%s: %w", what, err)}
	}
	if err := msg.From(m.From); err != nil {
		return nil, bad("from", err)
	}
	if len(m.To) > 0 {
		if err := msg.To(m.To...); err != nil {
			return nil, bad("to", err)
		}
	}
	if len(m.Cc) > 0 {
		if err := msg.Cc(m.Cc...); err != nil {
			return nil, bad("cc", err)
		}
	}
	if len(m.Bcc) > 0 {
		if err := msg.Bcc(m.Bcc...); err != nil {
			return nil, bad("bcc", err)
		}
	}
	if len(m.To)+len(m.Cc)+len(m.Bcc) == 0 {
		return nil, &Error{Err: fmt.Errorf("no recipient")}
	}
	if m.ReplyTo != "" {
		if err := msg.ReplyTo(m.ReplyTo); err != nil {
			return nil, bad("reply_to", err)
		}
	}
	msg.Subject(m.Subject)
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(m.MessageID)
	}
	if !m.Date.IsZero() {
		msg.SetDateWithValue(m.Date)
	} else {
		msg.SetDate()
	}
	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.HTML != "":
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	default:
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	}
	return msg, nil
}
