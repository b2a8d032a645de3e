import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import org.apache.activemq.transport.discovery.DiscoveryAgent;
import org.apache.activemq.transport.discovery.DiscoveryAgentFactory;
import org.apache.activemq.transport.discovery.simple.SimpleDiscoveryAgent;
import org.apache.activemq.util.URISupport;

/**
 * How ActiveMQ itself reads networkConnector URIs: one URI a line in the file args[0], one answer a
 * line on stdout. "INVALID" when ActiveMQ refuses the URI; else "AGENT <scheme>" and, for each
 * transport a bridge would open, "\tLEAF <scheme> <host> <port>" as java.net.URI reads them.
 * The path is DiscoveryNetworkConnector's: java.net.URI, DiscoveryAgentFactory, the agent's
 * services (static:, masterslave:), new URI(service), and failover:/fanout: split by
 * URISupport.parseComposite as their transport factories do.
 */
public class UriOracle {
    private static final List<String> COMPOSITE = Arrays.asList("failover", "fanout");

    public static void main(String[] args) throws Exception {
        for (String line : Files.readAllLines(Paths.get(args[0]), StandardCharsets.UTF_8)) {
            StringBuilder out = new StringBuilder();
            try {
                URI uri = new URI(line.trim());
                DiscoveryAgent agent = DiscoveryAgentFactory.createDiscoveryAgent(uri);
                out.append("AGENT ").append(uri.getScheme());
                if (agent instanceof SimpleDiscoveryAgent) {
                    for (String service : ((SimpleDiscoveryAgent) agent).getServices()) {
                        leaves(new URI(service), out);
                    }
                }
            } catch (Exception | LinkageError e) {
                out = new StringBuilder("INVALID");
            }
            System.out.println(out);
        }
    }

    private static void leaves(URI uri, StringBuilder out) throws Exception {
        if (uri.getScheme() != null && COMPOSITE.contains(uri.getScheme())) {
            for (URI component : URISupport.parseComposite(uri).getComponents()) {
                leaves(component, out);
            }
            return;
        }
        out.append("\tLEAF ").append(uri.getScheme()).append(' ').append(uri.getHost()).append(' ').append(uri.getPort());
    }
}
