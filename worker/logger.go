package worker

import (
	"fmt"

	"github.com/sirupsen/logrus"
	"go.temporal.io/sdk/log"
)

// Logger makes logrus the Temporal SDK's logger, so that the SDK's lines and ours share one format.
type Logger struct {
	entry *logrus.Entry
}

var _ log.WithLogger = (*Logger)(nil)

// NewLogger wraps l for the SDK (client.Options.Logger).
func NewLogger(l logrus.FieldLogger) *Logger {
	return &Logger{entry: l.WithFields(logrus.Fields{})}
}

// Debug logs at debug level; keyvals alternate keys and values, as the SDK passes them.
func (l *Logger) Debug(msg string, keyvals ...any) { l.with(keyvals).Debug(msg) }

// Info logs at info level.
func (l *Logger) Info(msg string, keyvals ...any) { l.with(keyvals).Info(msg) }

// Warn logs at warning level.
func (l *Logger) Warn(msg string, keyvals ...any) { l.with(keyvals).Warn(msg) }

// Error logs at error level.
func (l *Logger) Error(msg string, keyvals ...any) { l.with(keyvals).Error(msg) }

// With returns a logger that adds keyvals to every line.
func (l *Logger) With(keyvals ...any) log.Logger { return &Logger{entry: l.with(keyvals)} }

func (l *Logger) with(keyvals []any) *logrus.Entry {
	if len(keyvals) == 0 {
		return l.entry
	}
	fields := make(logrus.Fields, len(keyvals)/2+1)
	for i := 0; i < len(keyvals); i += 2 {
		key := fmt.Sprint(keyvals[i])
		if i+1 == len(keyvals) {
			fields[key] = "(missing value)"
			break
		}
		fields[key] = keyvals[i+1]
	}
	return l.entry.WithFields(fields)
}
