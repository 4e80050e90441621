// A JSSE client for the puretls interop tests, run as
//   java Client.java <port> <cert.pem> <n> [suite,suite,...]
//
// For each suite ("default": JSSE's own list; no argument: once with the defaults): a fresh
// SSLContext trusting only the given certificate, TLS 1.2 only, ALPN http/1.1, SNI localhost,
// and <n> HTTP/1.1 GETs over fresh connections from that context (so JSSE's client session
// cache may resume). It prints one JSON object with what JSSE saw on each connection.
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

public class Client {
    static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String caFile = args[1];
        int n = Integer.parseInt(args[2]);
        String[] suites = args.length > 3 ? args[3].split(",") : new String[] {null};

        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = new FileInputStream(caFile)) {
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("test" + i++, c);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);

        List<String> runs = new ArrayList<>();
        for (String name : suites) {
            String suite = "default".equals(name) ? null : name;
            SSLContext context = SSLContext.getInstance("TLSv1.2");
            context.init(null, tmf.getTrustManagers(), null);
            List<String> results = connect(context, port, n, suite);
            runs.add("{\"suite\":" + (suite == null ? "null" : json(suite)) + ",\"connections\":[" + String.join(",", results) + "]}");
        }
        System.out.println("{\"javaVersion\":" + json(System.getProperty("java.version"))
                + ",\"runs\":[" + String.join(",", runs) + "]}");
    }

    static List<String> connect(SSLContext context, int port, int n, String suite) throws Exception {
        List<String> results = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
                SSLParameters params = socket.getSSLParameters();
                params.setProtocols(new String[] {"TLSv1.2"});
                params.setApplicationProtocols(new String[] {"http/1.1"});
                params.setServerNames(List.of(new SNIHostName("localhost")));
                params.setEndpointIdentificationAlgorithm("HTTPS");
                if (suite != null) params.setCipherSuites(new String[] {suite});
                socket.setSSLParameters(params);
                socket.setSoTimeout(20000);
                socket.startHandshake();
                SSLSession session = socket.getSession();
                OutputStream out = socket.getOutputStream();
                out.write(("GET /java/" + i + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                InputStream in = socket.getInputStream();
                byte[] buf = new byte[8192];
                for (int r; (r = in.read(buf)) != -1; ) body.write(buf, 0, r);
                results.add("{\"protocol\":" + json(session.getProtocol())
                        + ",\"cipher\":" + json(session.getCipherSuite())
                        + ",\"alpn\":" + json(String.valueOf(socket.getApplicationProtocol()))
                        + ",\"sessionId\":" + json(HexFormat.of().formatHex(session.getId()))
                        + ",\"creationTime\":" + session.getCreationTime()
                        + ",\"response\":" + json(body.toString(StandardCharsets.UTF_8)) + "}");
            }
        }
        return results;
    }
}
