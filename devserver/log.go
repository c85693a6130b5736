package devserver

import (
	"sync/atomic"

	"github.com/sirupsen/logrus"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// serverLogger writes the Temporal server's log lines to logrus. The server logs dozens of info
// lines at every start: they pass only when the logger is at debug level. Warnings pass too, but
// not while quiet, during start and stop: the services then dial each other before all listen, or
// after some stopped, and log a dozen harmless warnings each time.
type serverLogger struct {
	entry *logrus.Entry
	quiet *atomic.Bool
}

var _ log.WithLogger = serverLogger{}

func (l serverLogger) Debug(msg string, tags ...tag.Tag) { l.log(logrus.DebugLevel, msg, tags) }
func (l serverLogger) Info(msg string, tags ...tag.Tag)  { l.log(logrus.InfoLevel, msg, tags) }
func (l serverLogger) Warn(msg string, tags ...tag.Tag)  { l.log(logrus.WarnLevel, msg, tags) }
func (l serverLogger) Error(msg string, tags ...tag.Tag) { l.log(logrus.ErrorLevel, msg, tags) }

// DPanic, Panic and Fatal log errors: a development server must not take cartback down with it.
func (l serverLogger) DPanic(msg string, tags ...tag.Tag) { l.log(logrus.ErrorLevel, msg, tags) }
func (l serverLogger) Panic(msg string, tags ...tag.Tag)  { l.log(logrus.ErrorLevel, msg, tags) }
func (l serverLogger) Fatal(msg string, tags ...tag.Tag)  { l.log(logrus.ErrorLevel, msg, tags) }

func (l serverLogger) With(tags ...tag.Tag) log.Logger {
	return serverLogger{l.entry.WithFields(fields(tags)), l.quiet}
}

func (l serverLogger) log(level logrus.Level, msg string, tags []tag.Tag) {
	if !l.entry.Logger.IsLevelEnabled(logrus.DebugLevel) {
		if level > logrus.WarnLevel || level == logrus.WarnLevel && l.quiet.Load() {
			return
		}
	}
	if l.entry.Logger.IsLevelEnabled(level) {
		l.entry.WithFields(fields(tags)).Log(level, msg)
	}
}

func fields(tags []tag.Tag) logrus.Fields {
	f := make(logrus.Fields, len(tags))
	for _, t := range tags {
		f[t.Key()] = t.Value()
	}
	return f
}
