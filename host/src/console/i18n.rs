//! The console's labels, in Portuguese and English: one table, every label in both (a test
//! checks that each key the templates use is in it).

/// A language the console speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Português (Brasil): the default.
    Pt,
    /// English.
    En,
}

/// Every label: key, Portuguese, English.
const LABELS: &[(&str, &str, &str)] = &[
    ("tenants", "Provedores", "Tenants"),
    ("tenant", "Provedor", "Tenant"),
    ("invocations", "Chamadas", "Invocations"),
    ("invocation", "Chamada", "Invocation"),
    ("settlements", "Baixas", "Settlements"),
    ("try_it", "Testar", "Try it"),
    ("keys", "Chaves", "API keys"),
    ("audit", "Auditoria", "Audit trail"),
    ("sign_in", "Entrar", "Sign in"),
    ("sign_out", "Sair", "Sign out"),
    ("admin_key", "Chave de administração", "Admin key"),
    (
        "sign_in_hint",
        "Uma chave com o escopo admin (de um provedor, ou da plataforma).",
        "A key with the admin scope (a tenant's, or the platform's).",
    ),
    ("name", "Nome", "Name"),
    ("source", "Origem", "Source"),
    ("revision", "Revisão", "Revision"),
    ("revisions", "Revisões", "Revisions"),
    ("status", "Situação", "Status"),
    ("functions", "Funções", "Functions"),
    ("function", "Função", "Function"),
    ("new_tenant", "Novo provedor", "New tenant"),
    ("tenant_id", "Identificador", "Id"),
    ("allow_private", "Endereços internos permitidos", "Private addresses allowed"),
    ("create", "Criar", "Create"),
    ("automations", "Automações", "Automations"),
    ("connection", "Conexão", "Connection"),
    ("connections", "Conexões", "Connections"),
    ("connection_name", "Nome da conexão", "Connection name"),
    ("new_connection", "Nova conexão com o plugin", "New connection to plugin"),
    ("plugin", "Plugin", "Plugin"),
    ("runtime", "Runtime", "Runtime"),
    ("timeout", "Prazo", "Timeout"),
    ("cache", "Cache", "Cache TTL"),
    ("calls_hour", "Chamadas (1 h)", "Calls (1 h)"),
    ("error_rate", "Erros (1 h)", "Error rate (1 h)"),
    ("quota_left", "Cota restante", "Quota left"),
    ("remove", "Remover", "Remove"),
    ("add_automation", "Adicionar ou trocar automação", "Add or change an automation"),
    ("save", "Salvar", "Save"),
    ("continue", "Continuar", "Continue"),
    ("when", "Quando", "When"),
    ("who", "Quem", "Who"),
    ("what", "O quê", "What"),
    ("target", "Alvo", "Target"),
    ("roll_back", "Voltar a esta", "Roll back to this"),
    (
        "file_read_only",
        "Este provedor é definido por um arquivo de automação: altere o arquivo.",
        "An automation file defines this tenant: change the file.",
    ),
    ("secret_unchanged", "definido (deixe vazio para manter)", "set (leave empty to keep)"),
    ("outcome", "Resultado", "Outcome"),
    ("since", "Desde", "Since"),
    ("customer_document", "CPF/CNPJ do cliente", "Customer's CPF/CNPJ"),
    ("until", "Até", "Until"),
    ("filter", "Filtrar", "Filter"),
    ("nothing_found", "Nada encontrado.", "Nothing found."),
    ("detail", "Detalhe", "Detail"),
    ("warnings", "Avisos", "Warnings"),
    ("input", "Entrada", "Input"),
    ("output", "Saída normalizada", "Normalized output"),
    (
        "not_kept",
        "Não guardado (um erro, ou o host não guarda conteúdos).",
        "Not kept (a problem, or the host keeps no payloads).",
    ),
    ("upstream_calls", "Chamadas ao ERP", "Upstream calls"),
    ("state", "Estado", "State"),
    ("all", "Todos", "All"),
    ("attempts", "Tentativas", "Attempts"),
    ("last_error", "Último erro", "Last error"),
    ("retry", "Tentar de novo", "Retry"),
    ("resolve", "Resolver", "Resolve"),
    ("resolution_note", "O que foi feito", "What was done"),
    ("token_once", "Copie a chave agora: ela não será mostrada de novo.", "Copy the key now: it is not shown again."),
    ("scopes", "Escopos", "Scopes"),
    ("label", "Rótulo", "Label"),
    ("created", "Criada", "Created"),
    ("revoke", "Revogar", "Revoke"),
    ("new_key", "Nova chave", "New key"),
    ("json_rest", "Demais campos (JSON)", "Other fields (JSON)"),
    ("run", "Executar", "Run"),
    ("result", "Resultado", "Result"),
    ("back", "Voltar", "Back"),
    ("saved", "Salvo.", "Saved."),
    ("revoked", "Chave revogada.", "Key revoked."),
    ("retried", "Baixa enviada de novo para a fila.", "Settlement queued again."),
    ("resolved", "Baixa resolvida.", "Settlement resolved."),
    ("forbidden", "Acesso negado", "Forbidden"),
    ("not_admin", "Esta chave não tem o escopo admin.", "This key does not have the admin scope."),
    ("bad_key", "Chave desconhecida ou revogada.", "Unknown or revoked key."),
    ("bad_form", "O formulário expirou; tente de novo.", "The form expired; try again."),
    ("failed", "Não foi possível", "That did not work"),
];

impl Lang {
    /// The label `key` in this language (the key itself when there is none: a test keeps the
    /// table complete).
    pub fn t(&self, key: &str) -> &'static str {
        match LABELS.iter().find(|(k, _, _)| *k == key) {
            Some((_, pt, en)) => match self {
                Lang::Pt => pt,
                Lang::En => en,
            },
            None => "?",
        }
    }

    /// `pt-BR` or `en`.
    pub fn code(&self) -> &'static str {
        match self {
            Lang::Pt => "pt-BR",
            Lang::En => "en",
        }
    }

    /// The other language (the switch in the header).
    pub fn other(&self) -> Lang {
        match self {
            Lang::Pt => Lang::En,
            Lang::En => Lang::Pt,
        }
    }

    /// The language's own name.
    pub fn name(&self) -> &'static str {
        match self {
            Lang::Pt => "Português",
            Lang::En => "English",
        }
    }

    /// From a `lang` value (`pt`, `pt-BR`, `en`...).
    pub fn parse(text: &str) -> Option<Lang> {
        let text = text.trim().to_ascii_lowercase();
        if text.starts_with("pt") {
            Some(Lang::Pt)
        } else if text.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_the_templates_use_is_in_both_languages() -> anyhow::Result<()> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/console");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(&dir)? {
            let text = std::fs::read_to_string(entry?.path())?;
            for part in text.split("l.t(\"").skip(1) {
                let key = part.split('"').next().unwrap_or_default();
                if !LABELS.iter().any(|(k, pt, en)| *k == key && !pt.is_empty() && !en.is_empty()) {
                    missing.push(key.to_owned());
                }
            }
        }
        assert!(missing.is_empty(), "labels missing: {missing:?}");
        let keys: std::collections::HashSet<&str> = LABELS.iter().map(|(k, _, _)| *k).collect();
        assert_eq!(keys.len(), LABELS.len(), "a key twice");
        Ok(())
    }
}
