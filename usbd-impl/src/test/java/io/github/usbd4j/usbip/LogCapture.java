package io.github.usbd4j.usbip;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Captures what the USB/IP server package logs at INFO and above while open (the test configuration
 * logs WARN only).
 */
final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final Level previous;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    LogCapture() {
        logger = (Logger) LoggerFactory.getLogger(UsbIpServer.class.getPackageName());
        previous = logger.getLevel();
        appender.start();
        logger.addAppender(appender);
        logger.setLevel(Level.INFO);
        logger.setAdditive(false); // kept here, not printed
    }

    /** The formatted messages so far, each prefixed with its level ("WARN refused ..."). */
    List<String> lines() {
        List<String> out = new ArrayList<>();
        synchronized (appender) { // AppenderBase appends under this lock
            for (ILoggingEvent e : appender.list) {
                out.add(e.getLevel() + " " + e.getFormattedMessage());
            }
        }
        return out;
    }

    /** Events at ERROR level so far (a failure of the server itself). */
    List<String> errors() {
        return lines().stream().filter(l -> l.startsWith("ERROR")).toList();
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        logger.setAdditive(true);
        logger.setLevel(previous);
    }
}
