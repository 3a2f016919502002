/** Who a caller is once a credential, API key or token has been checked. */
export interface Identity {
  id: string;
  kind: 'human' | 'agent';
  groups: string[];
  /** How the identity was established. */
  via: 'credential' | 'api_key' | 'oidc';
  /** For `credential`: the credential's id, so it can be re-checked at each statement. */
  credentialId?: string;
}
