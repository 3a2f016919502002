// What a Java application does through pgjdbc, one step per line of JSON on stdout:
// {"step": name, "ok": true, "value": "..."} or {"step": name, "ok": false, "state": SQLSTATE,
// "error": message}. Arguments: port, user, password. Run by pg-clients.test.ts.
import java.sql.*;
import java.util.*;

public class JdbcProbe {
  interface Step { Object run() throws Exception; }

  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }

  static void step(String name, Step s) {
    try {
      System.out.println("{\"step\":" + quote(name) + ",\"ok\":true,\"value\":" + quote(String.valueOf(s.run())) + "}");
    } catch (SQLException e) {
      System.out.println("{\"step\":" + quote(name) + ",\"ok\":false,\"state\":" + quote(String.valueOf(e.getSQLState()))
          + ",\"error\":" + quote(String.valueOf(e.getMessage())) + "}");
    } catch (Exception e) {
      System.out.println("{\"step\":" + quote(name) + ",\"ok\":false,\"state\":\"\",\"error\":" + quote(e.toString()) + "}");
    }
  }

  static String column(ResultSet r, int i) throws SQLException {
    List<String> out = new ArrayList<>();
    while (r.next()) out.add(r.getString(i));
    return String.join(",", out);
  }

  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    p.setProperty("user", args[1]);
    p.setProperty("password", args[2]);
    Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + args[0] + "/postgres", p);
    // Past prepareThreshold (5) pgjdbc prepares S_1 once and then sends Bind and Execute alone.
    step("prepared, seven times", () -> {
      PreparedStatement ps = c.prepareStatement("SELECT email FROM customers WHERE id = ?");
      List<String> out = new ArrayList<>();
      for (int i = 0; i < 7; i++) {
        ps.setInt(1, i % 2 + 1);
        out.add(column(ps.executeQuery(), 1));
      }
      return String.join(",", out);
    });
    // executeUpdate asks for one row at most (Execute with a row count of 1).
    step("executeUpdate", () -> c.createStatement().executeUpdate("UPDATE orders SET note = 'seen' WHERE id <= 4"));
    step("executeUpdate past the row limit", () -> c.createStatement().executeUpdate(
        "INSERT INTO orders (customer_id, note) SELECT 1, 'bulk' FROM generate_series(1, 1500)"));
    step("executeUpdate in a transaction", () -> {
      c.setAutoCommit(false);
      int n = c.createStatement().executeUpdate("UPDATE orders SET note = 'tx' WHERE id = 1");
      c.commit();
      c.setAutoCommit(true);
      return n;
    });
    // getGeneratedKeys: pgjdbc adds RETURNING *.
    step("generated keys", () -> {
      PreparedStatement ps = c.prepareStatement("INSERT INTO orders (customer_id, note) VALUES (?, ?)",
          Statement.RETURN_GENERATED_KEYS);
      ps.setInt(1, 2);
      ps.setString(2, "new");
      ps.executeUpdate();
      return column(ps.getGeneratedKeys(), 1);
    });
    step("batch", () -> {
      PreparedStatement ps = c.prepareStatement("INSERT INTO orders (customer_id, note) VALUES (?, ?)");
      for (int i = 0; i < 3; i++) {
        ps.setInt(1, 1);
        ps.setString(2, "batch");
        ps.addBatch();
      }
      return Arrays.toString(ps.executeBatch());
    });
    step("DatabaseMetaData.getColumns", () -> column(c.getMetaData().getColumns(null, "public", "customers", "%"), 4));
    step("DatabaseMetaData.getPrimaryKeys", () -> column(c.getMetaData().getPrimaryKeys(null, "public", "customers"), 4));
    step("CallableStatement", () -> {
      CallableStatement cs = c.prepareCall("{? = call upper(?)}");
      cs.registerOutParameter(1, Types.VARCHAR);
      cs.setString(2, "ok");
      cs.execute();
      return cs.getString(1);
    });
    // Columns of types other than text under a column mask: getObject parses each value by the
    // type the result declares, as an application's row mapper does.
    step("getObject on masked date and bigint columns", () -> {
      ResultSet r = c.createStatement().executeQuery("SELECT id, date_of_birth, ssn FROM patients ORDER BY id");
      List<String> out = new ArrayList<>();
      while (r.next()) out.add(r.getObject(1) + "|" + r.getObject(2) + "|" + r.getObject(3));
      ResultSetMetaData m = r.getMetaData();
      out.add(m.getColumnTypeName(1) + "|" + m.getColumnTypeName(2) + "|" + m.getColumnTypeName(3));
      return String.join(",", out);
    });
    step("getObject on masked columns, prepared, seven times", () -> {
      // ref passes the card check: masked by the detector, in text and, past the threshold,
      // in the binary format pgjdbc then asks for a bigint in.
      PreparedStatement ps = c.prepareStatement("SELECT date_of_birth, ssn, ref FROM patients WHERE id = ?");
      List<String> out = new ArrayList<>();
      for (int i = 0; i < 7; i++) {
        ps.setInt(1, 1);
        ResultSet r = ps.executeQuery();
        while (r.next()) out.add(r.getObject(1) + "|" + r.getObject(2) + "|" + r.getObject(3));
      }
      return String.join(",", out);
    });
    step("DROP", () -> c.createStatement().executeUpdate("DROP TABLE orders"));
    step("after the refusal", () -> column(c.createStatement().executeQuery("SELECT count(*) FROM orders WHERE note = 'tx'"), 1));
    c.close();
  }
}
