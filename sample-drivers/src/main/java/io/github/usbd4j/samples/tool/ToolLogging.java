package io.github.usbd4j.samples.tool;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * The {@code usbd} tool's logging, set up in code (Logback finds it as a service) rather than from an XML
 * file, whose parsing dominates a cold start on a slow machine: warnings only, one line each, to stderr,
 * so that stdout carries only the tool's output; no stack trace. With {@code -D}{@value #DEBUG_PROPERTY}
 * (which {@code usbd --debug} sets) usbd4j logs at debug level and stack traces are shown. A
 * {@code logback-test.xml} on the class path (tests) or {@code -Dlogback.configurationFile} takes
 * precedence.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_NORMAL_PRIORITY)
public final class ToolLogging extends ContextAwareBase implements Configurator {
    /** The system property that turns on debug logging with stack traces. */
    public static final String DEBUG_PROPERTY = "usbd.debug";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null
                || ToolLogging.class.getResource("/logback-test.xml") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        boolean debug = Boolean.getBoolean(DEBUG_PROPERTY);
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%level %logger{20} - %msg%n" + (debug ? "%ex" : "%nopex"));
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.WARN);
        root.addAppender(stderr);
        if (debug) {
            context.getLogger("io.github.usbd4j").setLevel(Level.DEBUG);
        }
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
