package replay

import (
	"encoding/json"
	"io"
)

type jsonSession struct {
	Conn       uint64     `json:"conn"`
	Peer       string     `json:"peer"`
	Dir        string     `json:"dir"`
	To         string     `json:"to"`
	Fast       bool       `json:"fast"`
	Steps      []jsonStep `json:"steps"`
	ClosedNow  string     `json:"closed_now,omitempty"`
	ClosedThen string     `json:"closed_then,omitempty"`
	Stopped    string     `json:"stopped,omitempty"`
}

type jsonStep struct {
	N     int        `json:"n"`
	AtMS  float64    `json:"at_ms"`
	Sent  string     `json:"sent,omitempty"` // printable, without the line ending
	Alike bool       `json:"alike"`          // the same commands now as then
	Now   []jsonLine `json:"now"`
	Then  []jsonLine `json:"then"`
}

type jsonLine struct {
	AtMS float64 `json:"at_ms"`
	Text string  `json:"text"`
}

// WriteJSON writes the comparison as one JSON object.
func (s *Session) WriteJSON(w io.Writer, to string, o Options) error {
	js := jsonSession{Conn: s.Conn, Peer: s.Peer, Dir: s.Dir, To: to, Fast: o.Fast,
		ClosedNow: s.ClosedNow, ClosedThen: s.ClosedThen, Stopped: s.Stopped, Steps: []jsonStep{}}
	for i, st := range s.Steps {
		if i == 0 && len(st.Now) == 0 && len(st.Then) == 0 {
			continue
		}
		js.Steps = append(js.Steps, jsonStep{
			N: i, AtMS: ms(st.At.Seconds()), Sent: s.show(s.frameOf(st.Sent)),
			Alike: sameCommands(st.Now, st.Then), Now: jsonLines(st.Now), Then: jsonLines(st.Then),
		})
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(js)
}

func jsonLines(ls []Line) []jsonLine {
	out := make([]jsonLine, len(ls))
	for i, l := range ls {
		out[i] = jsonLine{AtMS: ms(l.At.Seconds()), Text: l.Text}
	}
	return out
}

// ms is seconds as milliseconds with a tenth of precision.
func ms(sec float64) float64 { return float64(int64(sec*10000)) / 10 }
