//! The tables the simulator serves: their columns (names exactly as IXC's API gives them),
//! their defaults and what may be written to them.
//!
//! Column lists of the documented tables come from the official Postman collection (S1): the
//! listing examples of `cliente` and `fn_areceber`, the insert examples of the others (plus
//! `id`). Tables marked *inferred* below have no documented columns; their columns are a
//! plausible minimum. Every value is a string, and a column a row doesn't set holds its
//! default (`""` unless listed), the way IXC fills unset columns.

/// How a table behaves.
#[derive(Debug)]
pub(crate) struct TableSpec {
    /// The table name, as in `/webservice/v1/<name>` and in `qtype` prefixes.
    pub name: &'static str,
    /// Other prefixes IXC accepts in this table's filters (tables its listing query joins):
    /// `fn_areceber_baixas` is filtered as `fn_movim_finan.*` (S1).
    pub aliases: &'static [&'static str],
    /// Column names, whitespace-separated, in IXC's order.
    pub columns: &'static str,
    /// Non-empty defaults; every other column defaults to `""`.
    pub defaults: &'static [(&'static str, &'static str)],
    /// The listing's `total` is a JSON number (only `cliente`, per its official example) instead
    /// of a string.
    pub total_as_number: bool,
    /// Fields an insert must fill (non-empty); `None`: inserts through the API are not
    /// available for this table (answered "Recurso ... não está disponível!").
    pub insert_required: Option<&'static [&'static str]>,
    /// Date fields that writes must send as `dd/mm/yyyy` (stored and listed as ISO).
    pub write_dates: &'static [&'static str],
    /// `PUT /<table>/<id>` is available (always with the full row).
    pub update: bool,
    /// Columns a PUT silently ignores (S6: `fn_areceber`'s `gateway_link`, `linha_digitavel`,
    /// `id_cobranca`).
    pub update_drops: &'static [&'static str],
    /// `DELETE /<table>/<id>` is available.
    pub delete: bool,
}

impl TableSpec {
    /// The column names, in order.
    pub(crate) fn column_names(&self) -> impl Iterator<Item = &'static str> {
        self.columns.split_whitespace()
    }

    /// The column called `name`, compared case-insensitively as MySQL compares column names
    /// (`vd_contratos.ativo` finds `Ativo`).
    pub(crate) fn resolve(&self, name: &str) -> Option<&'static str> {
        self.column_names().find(|c| c.eq_ignore_ascii_case(name))
    }
}

const fn read_only(
    name: &'static str,
    columns: &'static str,
    defaults: &'static [(&'static str, &'static str)],
) -> TableSpec {
    TableSpec {
        name,
        aliases: &[],
        columns,
        defaults,
        total_as_number: false,
        insert_required: None,
        write_dates: &[],
        update: false,
        update_drops: &[],
        delete: false,
    }
}

const fn writable(
    name: &'static str,
    columns: &'static str,
    required: &'static [&'static str],
    write_dates: &'static [&'static str],
) -> TableSpec {
    TableSpec {
        name,
        aliases: &[],
        columns,
        defaults: &[],
        total_as_number: false,
        insert_required: Some(required),
        write_dates,
        update: true,
        update_drops: &[],
        delete: true,
    }
}

/// Every table the simulator serves.
pub(crate) const TABLES: &[TableSpec] = &[
    TableSpec {
        total_as_number: true,
        defaults: CLIENTE_DEFAULTS,
        ..writable(
            "cliente",
            CLIENTE,
            &[
                "ativo",
                "tipo_pessoa",
                "cnpj_cpf",
                "contribuinte_icms",
                "tipo_assinante",
                "cep",
                "endereco",
                "numero",
                "bairro",
                "cidade",
                "tipo_localidade",
                "iss_classificacao_padrao",
            ],
            &["data_nascimento"],
        )
    },
    TableSpec {
        defaults: FN_ARECEBER_DEFAULTS,
        insert_required: None,
        update_drops: &["gateway_link", "linha_digitavel", "id_cobranca"],
        delete: false,
        ..writable("fn_areceber", FN_ARECEBER, &[], &["data_emissao", "data_vencimento"])
    },
    writable(
        "cliente_contrato",
        CLIENTE_CONTRATO,
        &[
            "tipo",
            "id_cliente",
            "id_vd_contrato",
            "contrato",
            "id_tipo_contrato",
            "id_modelo",
            "id_filial",
            "data",
            "id_tipo_documento",
            "id_carteira_cobranca",
            "id_vendedor",
            "cc_previsao",
            "tipo_cobranca",
            "renovacao_automatica",
            "base_geracao_tipo_doc",
            "bloqueio_automatico",
            "aviso_atraso",
            "endereco_padrao_cliente",
        ],
        &["data"],
    ),
    writable("vd_contratos", VD_CONTRATOS, &["tipo", "nome"], &[]),
    writable("vendedor", VENDEDOR, &["nome", "comissao", "id_cidade", "status"], &[]),
    writable(
        "su_oss_assunto",
        SU_OSS_ASSUNTO,
        &[
            "assunto",
            "ativo",
            "layout_impressao",
            "numero_de_vias",
            "exige_comodato_finalizar_os",
            "exige_produto_finalizar_os",
        ],
        &[],
    ),
    writable(
        "su_ticket",
        SU_TICKET,
        &["tipo", "id_cliente", "id_assunto", "titulo", "id_ticket_setor", "prioridade", "menssagem", "su_status"],
        &[],
    ),
    writable(
        "su_oss_chamado",
        SU_OSS_CHAMADO,
        &["tipo", "id_assunto", "id_cliente", "id_filial", "origem_endereco", "prioridade", "setor", "status"],
        &[],
    ),
    writable("contato", CONTATO, &["nome", "data_cadastro"], &["data_cadastro", "data_nascimento"]),
    writable(
        "crm_canditados",
        CRM_CANDITADOS,
        &["razao", "tipo_pessoa", "status_prospeccao", "ativo", "telefone_celular", "cidade", "crm"],
        &["data_nascimento"],
    ),
    writable(
        "vd_saida",
        VD_SAIDA,
        &[
            "id_tipo_documento",
            "id_cliente",
            "id_condicao_pagamento",
            "filial_id",
            "data_emissao",
            "data_saida",
            "gera_estoque",
            "modalidade_frete",
            "id_comissionado",
        ],
        &["data_emissao", "data_saida"],
    ),
    TableSpec {
        aliases: &["fn_movim_finan"],
        delete: true,
        ..read_only("fn_areceber_baixas", FN_ARECEBER_BAIXAS, &[])
    },
    read_only("radusuarios", RADUSUARIOS, &[("ativo", "S"), ("online", "N")]),
    read_only("empresa", EMPRESA, &[]),
    read_only("cidade", CIDADE, &[]),
    read_only("uf", UF, &[]),
    read_only("su_ticket_setor", SU_TICKET_SETOR, &[("ativo", "S")]),
    read_only("condicoes_pagamento", CONDICOES_PAGAMENTO, &[("ativo", "S")]),
];

/// The table called `name` (exact, as IXC's table names are case-sensitive).
pub(crate) fn table(name: &str) -> Option<&'static TableSpec> {
    TABLES.iter().find(|t| t.name == name)
}

/// `fn_areceber_baixas`: one row per payment posted. *Inferred* columns: the baixa request's
/// fields (S1) plus the invoice id and the posting's date. Listed with `qtype` prefix
/// `fn_movim_finan` (S1).
pub(crate) const FN_ARECEBER_BAIXAS: &str = "id id_receber filial_id conta_ id_conta tipo_recebimento data documento \
    pdesconto vdesconto pacrescimo vacrescimo valor_parcela credito debito valor_total_recebido historico tipo_lanc \
    previsao ultima_atualizacao";
/// `radusuarios` (connection logins). Columns named in ERPS.md (S1, S3) plus `senha`.
pub(crate) const RADUSUARIOS: &str = "id id_cliente id_contrato login senha ativo online ultima_conexao_inicial";
/// `empresa` (health probe). *Inferred* columns.
pub(crate) const EMPRESA: &str = "id razao fantasia cnpj";
/// `cidade`: city names behind `cliente.cidade`. *Inferred* columns.
pub(crate) const CIDADE: &str = "id nome uf";
/// `uf`: states behind `cliente.uf` and `cidade.uf`. *Inferred* columns.
pub(crate) const UF: &str = "id sigla nome";
/// `su_ticket_setor`: ticket departments. *Inferred* columns.
pub(crate) const SU_TICKET_SETOR: &str = "id setor ativo";
/// `condicoes_pagamento`: payment terms, the nearest thing to a due-date list. *Inferred*
/// columns.
pub(crate) const CONDICOES_PAGAMENTO: &str = "id condicao dia_vencimento ativo";

/// `cliente`: the columns of the official listing example, in its order. \[H\] S1
pub(crate) const CLIENTE: &str = "\
    id senha acesso_automatico_central alterar_senha_primeiro_acesso senha_hotsite_md5 indicado_por \
    ativo grau_satisfacao razao fantasia cnpj_cpf tipo_documento_identificacao ie_identidade uf \
    data_cadastro crm endereco cidade cond_pagamento bairro fone numero cep filial_id contato latitude \
    longitude id_conta obs hotsite_email email id_tipo_cliente id_candato_tipo tipo_pessoa \
    telefone_comercial referencia telefone_celular complemento ramal id_condominio data_nascimento \
    participa_cobranca id_vendedor num_dias_cob isuf tabela_preco tipo_assinante bloco apartamento idx \
    skype whatsapp hotsite_acesso id_perfil id_concorrente estado_civil responsavel status_prospeccao \
    crm_data_vencemos ativo_serasa iss_classificacao_padrao rg_orgao_emissor nacionalidade \
    deb_automatico ultima_atualizacao deb_agencia cadastrado_via_viabilidade deb_conta alerta \
    endereco_cob numero_cob bairro_cob cidade_cob uf_cob cep_cob referencia_cob complemento_cob \
    profissao id_operadora_celular participa_pre_cobranca cob_envia_email cob_envia_sms \
    contribuinte_icms Sexo nome_pai nome_mae quantidade_dependentes nome_conjuge fone_conjuge \
    cpf_conjuge rg_conjuge data_nascimento_conjuge moradia nome_contador telefone_contador \
    ref_com_empresa1 ref_com_empresa2 ref_com_fone1 ref_com_fone2 ref_pes_nome1 ref_pes_nome2 \
    ref_pes_fone1 ref_pes_fone2 emp_empresa emp_cnpj emp_cep emp_endereco emp_cidade emp_fone emp_cargo \
    emp_remuneracao emp_data_admissao website orgao_publico pipe_id_organizacao im cif tipo_cliente_scm \
    pis_retem cofins_retem csll_retem irrf_retem nascimento_mae nascimento_pai identidade_mae \
    identidade_pai cpf_mae cpf_pai inscricao_municipal nome_representante_1 nome_representante_2 \
    cpf_representante_1 cpf_representante_2 identidade_representante_1 identidade_representante_2 \
    codigo_operacao convert_cliente_forn tipo_pessoa_titular_conta cnpj_cpf_titular_conta \
    crm_data_perdemos crm_data_sem_viabilidade crm_data_sem_porta_disponivel crm_data_abortamos \
    crm_data_negociando crm_data_apresentando crm_data_sondagem crm_data_novo \
    atualizar_cadastro_galaxPay foto_cartao cli_desconta_iss_retido_total cidade_naturalidade \
    tipo_localidade facebook id_campanha desconto_irrf_valor_inferior filtra_filial regime_fiscal_col";
/// Non-empty defaults of `cliente` (every other column defaults to `""`).
pub(crate) const CLIENTE_DEFAULTS: &[(&str, &str)] = &[
    ("acesso_automatico_central", "P"),
    ("alterar_senha_primeiro_acesso", "P"),
    ("senha_hotsite_md5", "N"),
    ("indicado_por", "0"),
    ("ativo", "S"),
    ("uf", "0"),
    ("data_cadastro", "0000-00-00"),
    ("crm", "N"),
    ("cidade", "0"),
    ("cond_pagamento", "0"),
    ("filial_id", "1"),
    ("id_conta", "0"),
    ("id_tipo_cliente", "0"),
    ("id_candato_tipo", "0"),
    ("tipo_pessoa", "F"),
    ("id_condominio", "0"),
    ("data_nascimento", "0000-00-00"),
    ("participa_cobranca", "S"),
    ("id_vendedor", "0"),
    ("num_dias_cob", "0"),
    ("tabela_preco", "0"),
    ("tipo_assinante", "3"),
    ("apartamento", "0"),
    ("idx", "0"),
    ("hotsite_acesso", "0"),
    ("id_perfil", "0"),
    ("id_concorrente", "0"),
    ("responsavel", "0"),
    ("status_prospeccao", "V"),
    ("crm_data_vencemos", "0000-00-00"),
    ("ativo_serasa", "0"),
    ("iss_classificacao_padrao", "99"),
    ("nacionalidade", "Brasileiro"),
    ("ultima_atualizacao", "0000-00-00 00:00:00"),
    ("cidade_cob", "0"),
    ("uf_cob", "0"),
    ("id_operadora_celular", "0"),
    ("participa_pre_cobranca", "S"),
    ("cob_envia_email", "S"),
    ("cob_envia_sms", "S"),
    ("contribuinte_icms", "N"),
    ("quantidade_dependentes", "0"),
    ("data_nascimento_conjuge", "0000-00-00"),
    ("emp_cidade", "0"),
    ("emp_remuneracao", "0.00"),
    ("emp_data_admissao", "0000-00-00"),
    ("orgao_publico", "N"),
    ("pipe_id_organizacao", "0"),
    ("tipo_cliente_scm", "01"),
    ("pis_retem", "N"),
    ("cofins_retem", "N"),
    ("csll_retem", "N"),
    ("irrf_retem", "N"),
    ("nascimento_mae", "0000-00-00"),
    ("nascimento_pai", "0000-00-00"),
    ("codigo_operacao", "0"),
    ("convert_cliente_forn", "N"),
    ("tipo_pessoa_titular_conta", "F"),
    ("crm_data_perdemos", "0000-00-00"),
    ("crm_data_sem_viabilidade", "0000-00-00"),
    ("crm_data_sem_porta_disponivel", "0000-00-00"),
    ("crm_data_abortamos", "0000-00-00"),
    ("crm_data_negociando", "0000-00-00"),
    ("crm_data_apresentando", "0000-00-00"),
    ("crm_data_sondagem", "0000-00-00"),
    ("crm_data_novo", "0000-00-00"),
    ("atualizar_cadastro_galaxPay", "S"),
    ("cli_desconta_iss_retido_total", "N"),
    ("cidade_naturalidade", "0"),
    ("tipo_localidade", "U"),
    ("id_campanha", "0"),
    ("desconto_irrf_valor_inferior", "S"),
    ("filtra_filial", "S"),
];

/// `fn_areceber`: the columns of the official listing example, in its order. \[H\] S1
pub(crate) const FN_ARECEBER: &str = "\
    id id_remessa gateway_link nn_boleto boleto data_inicial data_final estornado liberado filial_id \
    status data_emissao data_vencimento valor obs valor_recebido valor_aberto id_cliente pagamento_valor \
    pagamento_data id_carteira_cobranca credito_data baixa_data numero_parcela_recorrente documento \
    id_saida tipo_recebimento tipo_renegociacao valor_cancelado data_cancelamento id_mot_cancelamento \
    id_renegociacao id_cobranca previsao id_renegociacao_novo libera_periodo impresso forma_recebimento \
    arquivo_remessa_baixado nparcela id_nota_gerada_opc4 status_cobranca tipo_cobranca \
    id_contrato_principal id_contrato_avulso id_contrato id_nota_gerada id_im_imovel \
    parcela_proporcional linha_digitavel duplicata tipo_pagamento_cartao id_sip titulo_protestado \
    desconto_condicional_valor gerencianet_token validade_desconto_condicional id_conta motivo_alteracao \
    id_remessa_alteracao cancelamento_id_operador baixa_id_operador titulo_importado origem_importacao \
    ultima_atualizacao aguardando_confirmacao_pagamento parcelado_cartao pix_txid id_nota_gerada_opc2 \
    id_nota_gerada_opc3 recebido_via_pix id_lote_geracao_financeiro_fatura";
/// Non-empty defaults of `fn_areceber` (every other column defaults to `""`).
pub(crate) const FN_ARECEBER_DEFAULTS: &[(&str, &str)] = &[
    ("id_remessa", "0"),
    ("estornado", "N"),
    ("liberado", "S"),
    ("filial_id", "1"),
    ("status", "A"),
    ("valor", "0.00"),
    ("valor_recebido", "0.00"),
    ("valor_aberto", "0.00"),
    ("id_carteira_cobranca", "1"),
    ("tipo_recebimento", "Boleto"),
    ("valor_cancelado", "0.00"),
    ("previsao", "N"),
    ("libera_periodo", "N"),
    ("impresso", "N"),
    ("nparcela", "1"),
    ("tipo_cobranca", "P"),
    ("id_contrato_principal", "0"),
    ("id_nota_gerada", "0"),
    ("parcela_proporcional", "N"),
    ("titulo_protestado", "N"),
    ("id_conta", "0"),
    ("titulo_importado", "N"),
    ("ultima_atualizacao", "0000-00-00 00:00:00"),
    ("aguardando_confirmacao_pagamento", "N"),
    ("parcelado_cartao", "N"),
    ("recebido_via_pix", "N"),
];

/// `cliente_contrato`: the fields of the official insert example, plus `id`. \[H\] S1
pub(crate) const CLIENTE_CONTRATO: &str = "\
    id tipo id_cliente id_vd_contrato descricao_aux_plano_venda contrato id_tipo_contrato id_modelo \
    assinatura_digital integracao_assinatura_digital liberacao_bloqueio_manual id_filial \
    indicacao_contrato_id data_assinatura data_ativacao data data_renovacao pago_ate_data status \
    status_internet status_velocidade tipo_produtos_plano motivo_inclusao id_indexador_reajuste \
    url_assinatura_digital token_assinatura_digital id_tipo_documento id_carteira_cobranca id_vendedor \
    comissao cc_previsao tipo_cobranca renovacao_automatica gerar_finan_assin_digital_contrato \
    base_geracao_tipo_doc id_contrato_principal num_parcelas_atraso nf_info_adicionais \
    credit_card_recorrente_bandeira_cartao credit_card_recorrente_token ids_contratos_recorrencia \
    tipo_doc_opc tipo_doc_opc2 tipo_doc_opc3 tipo_doc_opc4 id_tipo_doc_ativ id_produto_ativ \
    taxa_instalacao id_cond_pag_ativ id_responsavel id_vendedor_ativ ativacao_numero_parcelas \
    ativacao_vencimentos ativacao_valor_parcela fidelidade data_expiracao desconto_fidelidade \
    id_instalador taxa_improdutiva venc_personalizado com_entrada dia_fixo_vencimento tipo_condicao_pag \
    bloqueio_automatico nao_bloquear_ate aviso_atraso nao_avisar_ate desbloqueio_confianca \
    desbloqueio_confianca_ativo restricao_auto_desbloqueio obs nao_susp_parc_ate \
    liberacao_suspensao_parcial utilizando_auto_libera_susp_parc restricao_auto_libera_susp_parcial \
    motivo_restri_auto_libera_parc contrato_suspenso data_inicial_suspensao data_final_suspensao \
    data_acesso_desativado id_responsavel_cancelamento motivo_cancelamento obs_cancelamento \
    data_negativacao id_responsavel_negativacao protocolo_negativacao id_motivo_negativacao \
    obs_negativacao data_desistencia id_responsavel_desistencia motivo_desistencia obs_desistencia \
    obs_contrato alerta_contrato dt_ult_bloq_auto dt_ult_bloq_manual dt_ult_finan_atraso \
    dt_ult_des_bloq_conf dt_ult_liberacao_susp_parc dt_ult_ativacao dt_utl_negativacao dt_ult_desiste \
    data_cadastro_sistema ultima_atualizacao data_retomada_contrato endereco_padrao_cliente \
    id_condominio condominio_novo bloco bloco_novo apartamento apartamento_novo cep cep_novo endereco \
    endereco_novo numero numero_novo bairro bairro_novo cidade cidade_novo complemento complemento_novo \
    referencia referencia_novo latitude latitude_novo longitude longitude_novo avalista_1 avalista_2 \
    testemunha_assinatura_digital document_photo selfie_photo";

/// `su_ticket`: the fields of the official insert example, plus `id`. \[H\] S1
pub(crate) const SU_TICKET: &str = "\
    id tipo id_estrutura protocolo id_circuito id_cliente id_login id_contrato id_filial id_assunto \
    titulo origem_endereco origem_endereco_estrutura endereco latitude longitude id_wfl_processo \
    id_ticket_setor id_responsavel_tecnico data_criacao data_ultima_alteracao prioridade data_reservada \
    melhor_horario_reserva id_ticket_origem id_usuarios id_resposta menssagem interacao_pendente \
    su_status id_evento_status_processo id_canal_atendimento status mensagens_nao_lida_cli \
    mensagens_nao_lida_sup token finalizar_atendimento id_su_diagnostico status_sla origem_cadastro \
    ultima_atualizacao cliente_fone cliente_telefone_comercial cliente_id_operadora_celular \
    cliente_telefone_celular cliente_whatsapp cliente_ramal cliente_email cliente_contato \
    cliente_website cliente_skype cliente_facebook latitude_cli longitude_cli latitude_login \
    longitude_login";

/// `contato`: the fields of the official insert example, plus `id`. \[H\] S1
pub(crate) const CONTATO: &str = "\
    id principal id_cliente nome tipo_pessoa cnpj_cpf data_nascimento razao id_filial id_contato_tipo \
    id_candidato_tipo id_campanha id_concorrente id_responsavel indicado_por data_cadastro data \
    id_vd_contrato id_tipo_elemento velocidade_calculada id_fornecedor lead ativo id_caixa_ftth \
    distancia_caixa_mais_proxima id_prospeccao id_estagio ordem_kanban fone_residencial fone_comercial \
    fone_celular fone_whatsapp email skype facebook website cep endereco numero bairro complemento \
    cidade uf referencia moradia tipo_localidade latitude longitude external_id external_system \
    pipe_id_pessoa cadastro_site status_viabilidade tipo_rede operador_neutro data_ult_verificacao_viab \
    caixa_mais_proxima data_cadastro_lead velocidade_calculada_lead quantidade_pessoas_lead \
    quantidade_smart_lead frequencia_smart_lead quantidade_celular_lead frequencia_celular_lead \
    quantidade_computador_lead frequencia_computador_lead quantidade_console_lead \
    frequencia_console_lead obs alerta identificador origem_medium origem_campaing origem_source \
    identificador_ultima_conversao conversao_duplicada_marketing";

/// `vd_saida`: the fields of the official insert example, plus `id`. \[H\] S1
pub(crate) const VD_SAIDA: &str = "\
    id id_tipo_documento id_cliente id_condicao_pagamento filial_id data_emissao data_saida valor_total \
    indFinal indPres documento obs status impresso criada_contrato_taxa_ativacao gera_estoque numero_nf \
    modelo_nf serie previsao id_contrato id_contrato_avulso alerta_cliente status_fat_os \
    id_produto_ativacao data_cancelamento valor_produto_ativacao difal_vFCPUFDest difal_vICMSUFDest \
    difal_vICMSUFRemet id_im_imovel nfse_lote nfse_prot nfse_status id_almox_padrao_tipo_doc \
    id_lote_geracao_financeiro numeracao_lote_ixc id_geracao_lote id_geracao_lote_assinaturas origem \
    consumidor_final_razao consumidor_final_cpf modalidade_frete id_transportadora placa placa_uf \
    placa_rntc valor_frete id_comissionado pcomissao comissao_perc_recebimento";

/// `vendedor`: the fields of the official insert example, plus `id`. \[H\] S1
pub(crate) const VENDEDOR: &str = "\
    id nome comissao comissao_perc_recebimento comissao_v endereco bairro id_cidade telefone celular \
    cnpj_cpf ie_rg email pipe_id_usuario status ultima_atualizacao";

/// `vd_contratos`: the fields of the official insert example, plus `id`. \[H\] S1
pub(crate) const VD_CONTRATOS: &str = "\
    id tipo nome descricao moeda id_tipo_documento id_modelo id_carteira_cobranca id_vendedor id_filial \
    comissao valor_contrato limitar_n_logins logins_simultaneos Ativo base_geracao_por_tipo_doc \
    tipo_doc_opc tipo_doc_opc2 tipo_doc_opc3 tipo_doc_opc4 ultima_atualizacao tel_franquia_segundos \
    tel_franquia_prefix id_cidade id_tipo_doc_ativ id_produto_ativ id_cond_pag_ativ id_vendedor_ativ \
    fidelidade utilizar_desconto_ate_vencimento utilizar_desconto_por_repeticao \
    utilizar_desconto_no_produto_plano qtde_repeticoes_desconto id_produto_ate_vencimento \
    id_produto_contrato_vinc valor_desconto";

/// `su_oss_assunto`: the fields of the official insert example, plus `id`. \[H\] S1
pub(crate) const SU_OSS_ASSUNTO: &str = "\
    id assunto finalidade mostra_hotsite tipo endereco_padrao integracao_assinatura_digital \
    id_resposta_padrao id_resposta_padrao_finalizacao ativo cor_marcador msg_regiao_manutencao \
    ultima_atualizacao id_vendedor_faturamento obrigar_processo_atendimento id_processo \
    login_obrigatorio layout_impressao imprimir_prod_serv numero_de_vias su_oss_modelo_impressao \
    modelo_email permite_abrir_cliente_atraso setor_su_oss_chamado descricao mostrar_no_service \
    exige_fotos_finalizacao_os quantidade_fotos_finalizacao_os exige_comodato_finalizar_os \
    quantidade_equipamentos exige_produto_finalizar_os quantidade_produtos \
    diagnostico_obrigatorio_finalizacao_os localizacao_obrigatoria_cliente_finalizacao_os \
    contrato_obrigatorio localizacao_obrigatoria_login_finalizacao_os id_tipo_doc_comodato \
    id_tipo_doc_pedido id_cond_pag_produto id_tipo_doc_servico id_cond_pag_servico \
    id_tipo_doc_patrimonio_venda id_cond_pag_patrimonio_venda tipo_cobranca fat_somente_finalizada \
    id_oss_kit tipo_comissao valor_comissao equipe_obrigatoria_finalizacao_os horario_tempo_assunto \
    formato_endereco card_data_reservada validar_choque_horarios_agendamento_os sla_apenas_dias_uteis \
    meta_horas_abertura meta_horas_agendamento considerar_sla metas_horas_abertura_ticket wiz_comodato \
    wiz_produtos wiz_mensalidade wiz_autorizar_ONU wiz_localizacao wiz_arquivos wiz_resumo_os \
    wiz_servico wiz_assinatura_obrig id_checklist service_mobile_max_parc_adic_serv \
    wiz_service_mobile_adicionais wiz_service_mobile_onu wiz_service_mobile_config_dispositivo \
    wiz_service_mobile_loc wiz_service_mobile_anexos wiz_service_mobile_checklist \
    wiz_service_mobile_enviar_sms_deslocamento id_sms_deslocamento id_msg_omnichannel_deslocamento";

/// `su_oss_chamado`: the fields of the official insert example, plus `id`. \[H\] S1
pub(crate) const SU_OSS_CHAMADO: &str = "\
    id tipo id_ticket protocolo id_assunto id_cliente id_estrutura id_filial id_login id_contrato_kit \
    origem_endereco origem_endereco_estrutura latitude longitude prioridade melhor_horario_agenda setor \
    id_tecnico mensagem idx status gera_comissao liberado impresso preview id_wfl_param_os id_wfl_tarefa \
    id_su_diagnostico regiao_manutencao origem_cadastro origem_change_endereco status_sla \
    ultima_atualizacao id_cidade bairro endereco complemento referencia id_condominio bloco apartamento \
    data_abertura data_inicio data_hora_analise data_agenda data_agenda_final data_hora_encaminhado \
    data_hora_assumido data_hora_execucao data_final data_fechamento data_prazo_limite data_reservada \
    data_reagendar data_prev_final mensagem_resposta justificativa_sla_atrasado valor_unit_comissao \
    valor_total_comissao";

/// `crm_canditados`: the fields of the official insert example, plus `id`. \[H\] S1
pub(crate) const CRM_CANDITADOS: &str = "\
    id razao fantasia id_candato_tipo id_campanha id_concorrente id_perfil responsavel indicado_por \
    status_prospeccao tipo_pessoa cnpj_cpf ie_identidade data_nascimento filial_id ativo data_cadastro \
    prospeccao_ultimo_contato prospeccao_proximo_contato id_vendedor id_conta id_vd_contrato_desejado \
    cadastrado_via_viabilidade id_contato_principal fone telefone_comercial telefone_celular whatsapp \
    ramal email contato website skype facebook id_condominio bloco apartamento cep endereco numero \
    bairro cidade complemento referencia uf moradia tipo_localidade latitude longitude external_id \
    external_system crm pipe_id_organizacao idx crm_data_novo crm_data_sondagem crm_data_apresentando \
    crm_data_negociando crm_data_vencemos crm_data_perdemos crm_data_abortamos crm_data_sem_viabilidade \
    crm_data_sem_porta_disponivel obs alerta status_viabilidade tipo_rede rede_ativacao operador_neutro \
    resultado_calc_vel qtd_pessoas_calc_vel qtd_smart_calc_vel qtd_celular_calc_vel \
    qtd_computador_calc_vel qtd_console_calc_vel plano_negociacao_auto_viab tipo_cobranca_auto_viab \
    data_reserva_auto_viab";
