// A Java application on pgjdbc that keeps a prepared statement across a policy change: past
// prepareThreshold (5) pgjdbc describes its named statement once and then sends Bind and
// Execute alone, parsing each value by the type it was told. Prints "before <value>" for each
// of seven executions, then "ready", waits for a line on stdin (the test changes the policy),
// then "after <value>" or "after error <message>" for three more. Arguments: port, user,
// password, and pgjdbc's binaryTransfer setting (with it, pgjdbc reads a date in binary once
// the statement is prepared). Run by policy-reload.test.ts.
import java.io.*;
import java.sql.*;
import java.util.*;

public class StaleDescription {
  static void run(PreparedStatement ps, String label) {
    try (ResultSet r = ps.executeQuery()) {
      r.next();
      System.out.println(label + " " + r.getObject(2));
    } catch (SQLException e) {
      System.out.println(label + " error " + e.getMessage());
    }
    System.out.flush();
  }

  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    p.setProperty("user", args[1]);
    p.setProperty("password", args[2]);
    p.setProperty("binaryTransfer", args[3]);
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + args[0] + "/app", p)) {
      PreparedStatement ps = c.prepareStatement("SELECT id, born FROM visits WHERE id = ?");
      ps.setInt(1, 1);
      for (int i = 0; i < 7; i++) run(ps, "before");
      System.out.println("ready");
      System.out.flush();
      new BufferedReader(new InputStreamReader(System.in)).readLine();
      for (int i = 0; i < 3; i++) run(ps, "after");
    }
  }
}
