import com.almworks.sqlite4java.SQLiteConnection;
import com.almworks.sqlite4java.SQLiteJob;
import com.almworks.sqlite4java.SQLiteQueue;
import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Runs the official DynamoDB Local, bound to 127.0.0.1 only. DynamoDB Local
 * has no host option and listens on every interface; this sets the host on its
 * Jetty connector before it starts. Run as a single-file program (java File.java).
 *
 * With {@code -journal <accessKey>:<region>}, the SQLite database that holds
 * that account's tables is switched to write-ahead logging with
 * synchronous=NORMAL before the first request: one sequential append per
 * commit instead of a rollback journal and several fsyncs. A commit survives
 * the process being killed; a power cut can lose the last ones.
 */
public class LoopbackDynamoDB {
  public static void main(String[] args) throws Exception {
    List<String> rest = new ArrayList<>(Arrays.asList(args));
    String journalFor = null;
    int flag = rest.indexOf("-journal");
    if (flag >= 0) {
      journalFor = rest.get(flag + 1);
      rest.remove(flag + 1);
      rest.remove(flag);
    }
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(rest.toArray(new String[0]));
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server jetty = (Server) field.get(proxy);
    int bound = 0;
    for (Connector connector : jetty.getConnectors()) {
      if (connector instanceof ServerConnector) {
        ((ServerConnector) connector).setHost("127.0.0.1");
        bound++;
      }
    }
    if (bound == 0) throw new IllegalStateException("DynamoDB Local has no connector to bind");
    proxy.start();
    // The backend that started this JVM may be killed outright (kill -9): do not outlive it.
    ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> System.exit(0)));
    if (journalFor != null) {
      String[] account = journalFor.split(":", 2);
      try {
        System.out.println("SQLite journal: " + useWriteAheadLog(proxy, account[0], account[1]));
      } catch (Exception failure) {
        // Still correct, only slower: keep DynamoDB Local's own journal.
        System.out.println("SQLite journal: default (could not switch to WAL: " + failure + ")");
      }
    }
    System.out.println("DynamoDB Local ready on 127.0.0.1");
    proxy.join();
  }

  /** Opens the account's database the way a request would, then sets its journal on DynamoDB Local's own connection. */
  private static String useWriteAheadLog(DynamoDBProxyServer proxy, String accessKey, String region) throws Exception {
    Object serverHandler = field(proxy, "serverHandler");
    Object requestHandler = field(serverHandler, "primaryHandler");
    Method credentials = requestHandler.getClass().getDeclaredMethod("getCredentialsString", String.class, String.class);
    credentials.setAccessible(true);
    Method handler = requestHandler.getClass().getDeclaredMethod("getHandler", String.class);
    handler.setAccessible(true);
    Object client = handler.invoke(requestHandler, credentials.invoke(requestHandler, accessKey, region));
    Object access = field(client, "dbAccess");
    SQLiteQueue queue = (SQLiteQueue) field(access, "queue");
    return queue
        .execute(
            new SQLiteJob<String>() {
              @Override
              protected String job(SQLiteConnection connection) throws Throwable {
                var mode = connection.prepare("PRAGMA journal_mode=WAL");
                mode.step();
                String journal = mode.columnString(0);
                mode.dispose();
                connection.exec("PRAGMA synchronous=NORMAL");
                return journal;
              }
            })
        .complete();
  }

  private static Object field(Object owner, String name) throws Exception {
    for (Class<?> type = owner.getClass(); type != null; type = type.getSuperclass()) {
      try {
        Field field = type.getDeclaredField(name);
        field.setAccessible(true);
        return field.get(owner);
      } catch (NoSuchFieldException missing) {
        // look in the superclass
      }
    }
    throw new NoSuchFieldException(owner.getClass().getName() + "." + name);
  }
}
