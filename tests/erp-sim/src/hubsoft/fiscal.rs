//! A customer's fiscal notes: `GET /cliente/nota_fiscal` and the notes' PDF links.
//!
//! \[H\] U1 (`clientes/nota_fiscal.rst` and the Postman collection): `busca=id_cliente`,
//! `termo_busca`, optional `data_inicio`/`data_fim` (`YYYY-MM-DD`, on the issue date) that may
//! not span more than 60 days; only processed notes (NF-e "efetivada", NFS-e "autorizado",
//! telecom 21/22 "normal"); the answer's `cliente{}`, `notas_fiscais[]` (models 0, 21, 22:
//! `numero_nota`, `serie_nota`, `valor` a string, `data_emissao_br`, `tipo_documento_fiscal`,
//! `link`, no access key), `nfes[]` (`numero_nf`, `serie`, `chave`, `status`,
//! `data_emissao_br` with the time, `link`) and `nfses[]`.
//!
//! The notes are PlugStorage's ([`crate::plugstorage::data::notes`]), the authorized ones of
//! customers this Hubsoft has. *Inferred*: the NFCom notes (model 62, which Hubsoft's listing
//! doesn't document) are listed as telecom model 21 notes, without their key; the NF-e's
//! `chave` is `"NFe"` + the key (the documented example has the prefix); the NF-e carries a
//! `valor_total` (the example shows no amount at all); no dates means every note; one date
//! without the other, a malformed date or `data_fim` before `data_inicio` is refused; links
//! point at `/pdf/nota_fiscal/{hash}` on this server, without auth, like the faturas'.

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::api::{br_date, php_money};
use super::data::Store;
use super::{Reply, fnv};
use crate::params::Params;
use crate::plugstorage::data::{Note, notes};

/// The longest span `data_inicio`..`data_fim` may cover, in days.
pub const MAX_WINDOW_DAYS: i64 = 60;

fn link_hash(note: &Note) -> String {
    format!("{:016x}", fnv(&format!("ponte-hubsoft-nota-{}-{}", note.model, note.id)))
}

fn issued(note: &Note) -> NaiveDate {
    NaiveDate::parse_from_str(note.issued, "%Y-%m-%d").unwrap_or_else(|_| super::data::reference_date())
}

fn date_param(params: &Params, key: &str) -> Result<Option<NaiveDate>, Reply> {
    let text = params.trimmed(key);
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| Reply::error(format!("O campo {key} deve estar no formato AAAA-MM-DD.")))
}

/// `GET /cliente/nota_fiscal`.
pub(crate) fn notas(store: &Store, base_url: &str, params: &Params) -> Reply {
    let busca = params.trimmed("busca");
    let term = params.trimmed("termo_busca");
    if busca.is_empty() || term.is_empty() {
        return Reply::error("Os campos busca e termo_busca são obrigatórios.");
    }
    if busca != "id_cliente" {
        return Reply::error(format!("Tipo de busca inválido: {busca}"));
    }
    let window = match (date_param(params, "data_inicio"), date_param(params, "data_fim")) {
        (Ok(Some(from)), Ok(Some(to))) => {
            if to < from {
                return Reply::error("O campo data_fim deve ser uma data posterior ou igual a data_inicio.");
            }
            if (to - from).num_days() > MAX_WINDOW_DAYS {
                return Reply::error(format!(
                    "O intervalo entre data_inicio e data_fim não pode ser maior que {MAX_WINDOW_DAYS} dias."
                ));
            }
            Some((from, to))
        }
        (Ok(None), Ok(None)) => None,
        (Err(reply), _) | (_, Err(reply)) => return reply,
        _ => return Reply::error("Os campos data_inicio e data_fim devem ser informados juntos."),
    };
    let Some(customer) = term.parse::<u64>().ok().and_then(|id| store.customer(id)) else {
        return Reply::error("Cliente não encontrado.");
    };
    let theirs: Vec<Note> = notes()
        .into_iter()
        .filter(|n| n.situation == "AUTORIZADA" && n.dest_document == customer.document)
        .filter(|n| window.is_none_or(|(from, to)| (from..=to).contains(&issued(n))))
        .collect();
    let link = |n: &Note| format!("{base_url}/pdf/nota_fiscal/{}", link_hash(n));
    let telecom: Vec<Value> = theirs
        .iter()
        .filter(|n| n.model != 55)
        .map(|n| {
            json!({
                "id_nota_fiscal": n.id,
                "id_tipo_documento_fiscal": 1,
                "numero_nota": n.number,
                "serie_nota": n.series.to_string(),
                "cfop": "5307",
                "identificacao": format!("{:020X}", fnv(&n.key)),
                "valor": php_money(n.cents).to_string(),
                "data_cadastro_br": format!("{} 10:00", br_date(issued(n))),
                "data_emissao_br": br_date(issued(n)),
                "data_cancelamento_br": null,
                "cancelado": false,
                "tipo_documento_fiscal": {
                    "id_tipo_documento_fiscal": 1,
                    "descricao": "Nota Fiscal de Serviço de Comunicação",
                    "codigo": "21",
                    "ativo": true,
                    "display": "21 - Nota Fiscal de Serviço de Comunicação",
                },
                "link": link(n),
            })
        })
        .collect();
    let nfes: Vec<Value> = theirs
        .iter()
        .filter(|n| n.model == 55)
        .map(|n| {
            json!({
                "id_nfe": n.id,
                "modelo": "55",
                "serie": n.series.to_string(),
                "numero_nf": n.number,
                "chave": format!("NFe{}", n.key),
                "status": "efetivada",
                "status_mensagem": "Autorizado o uso da NF-e",
                "cancelado": false,
                "data_emissao_br": format!("{} 10:00:00", br_date(issued(n))),
                "valor_total": crate::payment::cents_dot(n.cents),
                "link": link(n),
            })
        })
        .collect();
    Reply::Json(json!({
        "status": "success",
        "msg": "Dados carregados com sucesso",
        "cliente": { "id_cliente": customer.id, "codigo_cliente": customer.id, "nome_razaosocial": customer.name },
        "notas_fiscais": telecom,
        "nfes": nfes,
        "nfses": [],
    }))
}

/// `GET /pdf/nota_fiscal/{hash}`: the note's PDF (DANFE for NF-e, the telecom note otherwise).
pub(crate) fn pdf(hash: &str) -> Reply {
    let Some(note) = notes().into_iter().find(|n| link_hash(n) == hash) else {
        return Reply::NotFound;
    };
    let lines = vec![
        crate::people::PROVIDER_NAME.to_owned(),
        if note.model == 55 { "DANFE".to_owned() } else { "Nota Fiscal de Serviço de Comunicação".to_owned() },
        format!("Número {} Série {}", note.number, note.series),
        format!("Emissão: {}", br_date(issued(&note))),
        format!("Destinatário: {} - {}", note.dest_name, note.dest_document),
        format!("Valor: R$ {}", crate::payment::cents_dot(note.cents).replace('.', ",")),
    ];
    Reply::Pdf(crate::pdf::render(&format!("Nota {}", note.number), &[lines]))
}
