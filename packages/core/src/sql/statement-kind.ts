/**
 * Statement kind for a PostgreSQL raw parse-tree node: the contract's snake_case `type`, its
 * `category` and, for DDL, the `object_type`. Kinds whose category depends on the statement's
 * content (SELECT INTO, COPY direction, EXPLAIN ANALYZE) are settled by the caller.
 */

import type { StatementCategory } from '../contract.js';
import type { StatementKind } from './fact-collector.js';

type Node = Record<string, unknown>;

/** Node type → [type, category]; types with an object kind are derived in `pgStatementKind`. */
const FIXED: Record<string, readonly [string, StatementCategory]> = {
  SelectStmt: ['select', 'read'],
  InsertStmt: ['insert', 'write'],
  UpdateStmt: ['update', 'write'],
  DeleteStmt: ['delete', 'write'],
  MergeStmt: ['merge', 'write'],
  CopyStmt: ['copy', 'write'],
  TruncateStmt: ['truncate', 'ddl'],
  AlterSystemStmt: ['alter_system', 'ddl'],
  VariableShowStmt: ['show', 'session'],
  TransactionStmt: ['transaction', 'tcl'],
  ConstraintsSetStmt: ['set_constraints', 'tcl'],
  CallStmt: ['call', 'dynamic'],
  DoStmt: ['do', 'dynamic'],
  ExplainStmt: ['explain', 'utility'],
  PrepareStmt: ['prepare', 'dynamic'],
  ExecuteStmt: ['execute', 'dynamic'],
  DeallocateStmt: ['deallocate', 'session'],
  LockStmt: ['lock', 'utility'],
  ListenStmt: ['listen', 'session'],
  UnlistenStmt: ['unlisten', 'session'],
  NotifyStmt: ['notify', 'session'],
  DiscardStmt: ['discard', 'session'],
  CheckPointStmt: ['checkpoint', 'utility'],
  LoadStmt: ['load', 'utility'],
  ClusterStmt: ['cluster', 'utility'],
  ReindexStmt: ['reindex', 'utility'],
  DeclareCursorStmt: ['declare', 'read'],
  FetchStmt: ['fetch', 'read'],
  ClosePortalStmt: ['close', 'session'],
  RefreshMatViewStmt: ['refresh_materialized_view', 'write'],
  AlterDefaultPrivilegesStmt: ['alter_default_privileges', 'dcl'],
  ReassignOwnedStmt: ['reassign_owned', 'dcl'],
  DropOwnedStmt: ['drop_owned', 'dcl'],
  SecLabelStmt: ['security_label', 'ddl'],
  ImportForeignSchemaStmt: ['import_foreign_schema', 'ddl'],
};

/** Node type → [type, object_type] for DDL whose object kind is fixed by the node type. */
const DDL: Record<string, readonly [string, string]> = {
  CreateStmt: ['create_table', 'table'],
  CreateForeignTableStmt: ['create_table', 'foreign_table'],
  IndexStmt: ['create_index', 'index'],
  ViewStmt: ['create_view', 'view'],
  CreateSchemaStmt: ['create_schema', 'schema'],
  CreateExtensionStmt: ['create_extension', 'extension'],
  AlterExtensionStmt: ['alter_extension', 'extension'],
  AlterExtensionContentsStmt: ['alter_extension', 'extension'],
  CreateTrigStmt: ['create_trigger', 'trigger'],
  CreateEventTrigStmt: ['create_event_trigger', 'event_trigger'],
  AlterEventTrigStmt: ['alter_event_trigger', 'event_trigger'],
  RuleStmt: ['create_rule', 'rule'],
  CreatedbStmt: ['create_database', 'database'],
  AlterDatabaseStmt: ['alter_database', 'database'],
  AlterDatabaseSetStmt: ['alter_database', 'database'],
  AlterDatabaseRefreshCollStmt: ['alter_database', 'database'],
  DropdbStmt: ['drop', 'database'],
  CreateTableSpaceStmt: ['create_tablespace', 'tablespace'],
  DropTableSpaceStmt: ['drop', 'tablespace'],
  AlterTableSpaceOptionsStmt: ['alter_tablespace', 'tablespace'],
  CreateSeqStmt: ['create_sequence', 'sequence'],
  AlterSeqStmt: ['alter_sequence', 'sequence'],
  CompositeTypeStmt: ['create_type', 'type'],
  CreateEnumStmt: ['create_type', 'type'],
  CreateRangeStmt: ['create_type', 'type'],
  AlterEnumStmt: ['alter_type', 'type'],
  CreateDomainStmt: ['create_domain', 'domain'],
  AlterDomainStmt: ['alter_domain', 'domain'],
  CreatePolicyStmt: ['create_policy', 'policy'],
  AlterPolicyStmt: ['alter_policy', 'policy'],
  CreateFdwStmt: ['create_foreign_data_wrapper', 'foreign_data_wrapper'],
  AlterFdwStmt: ['alter_foreign_data_wrapper', 'foreign_data_wrapper'],
  CreateForeignServerStmt: ['create_server', 'server'],
  AlterForeignServerStmt: ['alter_server', 'server'],
  CreateUserMappingStmt: ['create_user_mapping', 'user_mapping'],
  AlterUserMappingStmt: ['alter_user_mapping', 'user_mapping'],
  DropUserMappingStmt: ['drop', 'user_mapping'],
  CreatePublicationStmt: ['create_publication', 'publication'],
  AlterPublicationStmt: ['alter_publication', 'publication'],
  CreateSubscriptionStmt: ['create_subscription', 'subscription'],
  AlterSubscriptionStmt: ['alter_subscription', 'subscription'],
  DropSubscriptionStmt: ['drop', 'subscription'],
  CreatePLangStmt: ['create_language', 'language'],
  CreateCastStmt: ['create_cast', 'cast'],
  CreateConversionStmt: ['create_conversion', 'conversion'],
  CreateTransformStmt: ['create_transform', 'transform'],
  CreateAmStmt: ['create_access_method', 'access_method'],
  CreateOpClassStmt: ['create_operator_class', 'operator_class'],
  CreateOpFamilyStmt: ['create_operator_family', 'operator_family'],
  AlterOpFamilyStmt: ['alter_operator_family', 'operator_family'],
  CreateStatsStmt: ['create_statistics', 'statistics'],
  AlterStatsStmt: ['alter_statistics', 'statistics'],
  AlterCollationStmt: ['alter_collation', 'collation'],
  AlterTSDictionaryStmt: ['alter_text_search_dictionary', 'text_search_dictionary'],
  AlterTSConfigurationStmt: ['alter_text_search_configuration', 'text_search_configuration'],
  AlterOperatorStmt: ['alter_operator', 'operator'],
  AlterTypeStmt: ['alter_type', 'type'],
};

/** OBJECT_MATVIEW → materialized_view, OBJECT_TABLE → table … */
export function objectTypeName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const bare = value.startsWith('OBJECT_') ? value.slice(7) : value;
  switch (bare) {
    case 'MATVIEW':
      return 'materialized_view';
    case 'TSCONFIGURATION':
      return 'text_search_configuration';
    case 'TSDICTIONARY':
      return 'text_search_dictionary';
    case 'TSPARSER':
      return 'text_search_parser';
    case 'TSTEMPLATE':
      return 'text_search_template';
    case 'FDW':
      return 'foreign_data_wrapper';
    case 'FOREIGN_SERVER':
      return 'server';
    case 'OPCLASS':
      return 'operator_class';
    case 'OPFAMILY':
      return 'operator_family';
    case 'STATISTIC_EXT':
      return 'statistics';
    case 'ACCESS_METHOD':
      return 'access_method';
    default:
      return bare.toLowerCase();
  }
}

const ROLE_OBJECT: Record<string, string> = {
  ROLESTMT_ROLE: 'role',
  ROLESTMT_USER: 'user',
  ROLESTMT_GROUP: 'group',
};

export function pgStatementKind(nodeType: string, node: Node): StatementKind {
  const fixed = FIXED[nodeType];
  if (fixed !== undefined) return { type: fixed[0], category: fixed[1] };
  const ddl = DDL[nodeType];
  if (ddl !== undefined) return { type: ddl[0], category: 'ddl', object_type: ddl[1] };
  switch (nodeType) {
    case 'CreateTableAsStmt': {
      const object = objectTypeName(node.objtype) ?? 'table';
      return { type: `create_${object}`, category: 'ddl', object_type: object };
    }
    case 'CreateFunctionStmt': {
      const object = node.is_procedure === true ? 'procedure' : 'function';
      return { type: `create_${object}`, category: 'ddl', object_type: object };
    }
    case 'AlterFunctionStmt':
    case 'AlterTableStmt': {
      const object = objectTypeName(node.objtype) ?? 'table';
      return { type: `alter_${object}`, category: 'ddl', object_type: object };
    }
    case 'RenameStmt':
      return withObject('alter', objectTypeName(node.renameType));
    case 'AlterObjectSchemaStmt':
    case 'AlterOwnerStmt':
    case 'AlterObjectDependsStmt':
      return withObject('alter', objectTypeName(node.objectType));
    case 'DefineStmt':
      return withObject('create', objectTypeName(node.kind));
    case 'DropStmt':
      return { type: 'drop', category: 'ddl', object_type: objectTypeName(node.removeType) ?? 'unknown' };
    case 'CommentStmt':
      return { type: 'comment', category: 'ddl', object_type: objectTypeName(node.objtype) ?? 'unknown' };
    case 'CreateRoleStmt':
      return { type: 'create_role', category: 'dcl', object_type: roleObject(node.stmt_type) };
    case 'AlterRoleStmt':
    case 'AlterRoleSetStmt':
      return { type: 'alter_role', category: 'dcl', object_type: 'role' };
    case 'DropRoleStmt':
      return { type: 'drop', category: 'dcl', object_type: 'role' };
    case 'GrantStmt':
      return {
        type: node.is_grant === true ? 'grant' : 'revoke',
        category: 'dcl',
        object_type: objectTypeName(node.objtype) ?? 'table',
      };
    case 'GrantRoleStmt':
      return { type: node.is_grant === true ? 'grant' : 'revoke', category: 'dcl', object_type: 'role' };
    case 'VariableSetStmt':
      return variableSetKind(node);
    case 'VacuumStmt':
      return { type: node.is_vacuumcmd === true ? 'vacuum' : 'analyze', category: 'utility' };
    default:
      return fallbackKind(nodeType);
  }
}

function roleObject(stmtType: unknown): string {
  return (typeof stmtType === 'string' ? ROLE_OBJECT[stmtType] : undefined) ?? 'role';
}

function withObject(verb: string, object: string | undefined): StatementKind {
  const o = object ?? 'unknown';
  return { type: `${verb}_${o}`, category: 'ddl', object_type: o };
}

function variableSetKind(node: Node): StatementKind {
  const kind = node.kind;
  if (kind === 'VAR_RESET' || kind === 'VAR_RESET_ALL') return { type: 'reset', category: 'session' };
  if (node.name === 'role') return { type: 'set_role', category: 'dcl' };
  if (node.name === 'session_authorization') return { type: 'set_session_authorization', category: 'dcl' };
  return { type: 'set', category: 'session' };
}

/** A node type this table does not know (a newer grammar): named after the node, DDL by verb. */
function fallbackKind(nodeType: string): StatementKind {
  const base = nodeType.endsWith('Stmt') ? nodeType.slice(0, -4) : nodeType;
  const type = base.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  const ddl = /^(create|alter|drop|define)_/.test(type);
  return { type: type === '' ? 'unknown' : type, category: ddl ? 'ddl' : 'unknown' };
}
